package opencl

// MaxBatch is the number of activation vectors one kernel launch handles;
// larger batches are split into launches of MaxBatch.
const MaxBatch = 16

// WorkGroup is the number of work-items that share one output row.
const WorkGroup = 64

// kernelSource holds two kernels per weight type. Both decode a row block
// by block (32 values) and multiply each decoded block by all n vectors, so
// each weight is read once per launch.
//
// Row kernels (mm_*) give each work-item one output row; on CPU devices
// such as PoCL this keeps a row's blocks in one thread's cache. Group
// kernels (mmg_*) give each output row a work-group of WorkGroup
// work-items: work-item i takes blocks i, i+WorkGroup, ..., so neighbouring
// work-items read neighbouring memory as GPUs need, and the partial sums
// are reduced in local memory, one vector at a time.
const kernelSource = `
#define MAXB 16
#define WG 64

static float dot32(const float *w, __global const float *x) {
	float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
	for (int i = 0; i < 32; i += 4) {
		s0 += w[i] * x[i];
		s1 += w[i+1] * x[i+1];
		s2 += w[i+2] * x[i+2];
		s3 += w[i+3] * x[i+3];
	}
	return (s0 + s1) + (s2 + s3);
}

// Row kernels: one work-item per output row (suits CPU devices).

#define MM_PROLOGUE \
	int r = get_global_id(0); \
	if (r >= rows) return; \
	float acc[MAXB]; \
	for (int b = 0; b < MAXB; b++) acc[b] = 0.0f; \
	float blk[32]; \
	int nb = cols / 32;

#define MM_BLOCK_DOTS(scale) \
	for (int b = 0; b < n; b++) acc[b] += (scale) * dot32(blk, x + (size_t)b * cols + k * 32);

#define MM_EPILOGUE \
	for (int b = 0; b < n; b++) y[(size_t)b * rows + r] = acc[b];
__kernel void mm_f32(__global const float *w, __global const float *x, __global float *y, int rows, int cols, int n) {
	MM_PROLOGUE
	__global const float *wr = w + (size_t)r * cols;
	for (int k = 0; k < nb; k++) {
		for (int j = 0; j < 32; j++) blk[j] = wr[k*32 + j];
		MM_BLOCK_DOTS(1.0f)
	}
	MM_EPILOGUE
}

__kernel void mm_f16(__global const half *w, __global const float *x, __global float *y, int rows, int cols, int n) {
	MM_PROLOGUE
	__global const half *wr = w + (size_t)r * cols;
	for (int k = 0; k < nb; k++) {
		for (int j = 0; j < 32; j++) blk[j] = vload_half(k*32 + j, wr);
		MM_BLOCK_DOTS(1.0f)
	}
	MM_EPILOGUE
}

__kernel void mm_bf16(__global const ushort *w, __global const float *x, __global float *y, int rows, int cols, int n) {
	MM_PROLOGUE
	__global const ushort *wr = w + (size_t)r * cols;
	for (int k = 0; k < nb; k++) {
		for (int j = 0; j < 32; j++) blk[j] = as_float(((uint)wr[k*32 + j]) << 16);
		MM_BLOCK_DOTS(1.0f)
	}
	MM_EPILOGUE
}

__kernel void mm_q8_0(__global const uchar *w, __global const float *x, __global float *y, int rows, int cols, int n) {
	MM_PROLOGUE
	__global const uchar *wr = w + (size_t)r * nb * 34;
	for (int k = 0; k < nb; k++) {
		__global const uchar *p = wr + k * 34;
		float d = vload_half(0, (__global const half *)p);
		for (int j = 0; j < 32; j++) blk[j] = (float)((char)p[2 + j]);
		MM_BLOCK_DOTS(d)
	}
	MM_EPILOGUE
}

__kernel void mm_q4_0(__global const uchar *w, __global const float *x, __global float *y, int rows, int cols, int n) {
	MM_PROLOGUE
	__global const uchar *wr = w + (size_t)r * nb * 18;
	for (int k = 0; k < nb; k++) {
		__global const uchar *p = wr + k * 18;
		float d = vload_half(0, (__global const half *)p);
		for (int j = 0; j < 16; j++) {
			uchar q = p[2 + j];
			blk[j] = (float)((int)(q & 15) - 8);
			blk[j + 16] = (float)((int)(q >> 4) - 8);
		}
		MM_BLOCK_DOTS(d)
	}
	MM_EPILOGUE
}

// Group kernels: one work-group per output row (suits GPUs).
#define MMG_PROLOGUE \
	int r = get_group_id(0); \
	int lid = get_local_id(0); \
	__local float red[WG]; \
	float acc[MAXB]; \
	for (int b = 0; b < MAXB; b++) acc[b] = 0.0f; \
	float blk[32]; \
	int nb = cols / 32;

#define MMG_BLOCK_DOTS(scale) \
	for (int b = 0; b < n; b++) acc[b] += (scale) * dot32(blk, x + (size_t)b * cols + k * 32);

#define MMG_EPILOGUE \
	for (int b = 0; b < n; b++) { \
		red[lid] = acc[b]; \
		barrier(CLK_LOCAL_MEM_FENCE); \
		for (int s = WG / 2; s > 0; s >>= 1) { \
			if (lid < s) red[lid] += red[lid + s]; \
			barrier(CLK_LOCAL_MEM_FENCE); \
		} \
		if (lid == 0) y[(size_t)b * rows + r] = red[0]; \
		barrier(CLK_LOCAL_MEM_FENCE); \
	}

__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void mmg_f32(__global const float *w, __global const float *x, __global float *y, int rows, int cols, int n) {
	MMG_PROLOGUE
	__global const float *wr = w + (size_t)r * cols;
	for (int k = lid; k < nb; k += WG) {
		for (int j = 0; j < 32; j++) blk[j] = wr[k*32 + j];
		MMG_BLOCK_DOTS(1.0f)
	}
	MMG_EPILOGUE
}

__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void mmg_f16(__global const half *w, __global const float *x, __global float *y, int rows, int cols, int n) {
	MMG_PROLOGUE
	__global const half *wr = w + (size_t)r * cols;
	for (int k = lid; k < nb; k += WG) {
		for (int j = 0; j < 32; j++) blk[j] = vload_half(k*32 + j, wr);
		MMG_BLOCK_DOTS(1.0f)
	}
	MMG_EPILOGUE
}

__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void mmg_bf16(__global const ushort *w, __global const float *x, __global float *y, int rows, int cols, int n) {
	MMG_PROLOGUE
	__global const ushort *wr = w + (size_t)r * cols;
	for (int k = lid; k < nb; k += WG) {
		for (int j = 0; j < 32; j++) blk[j] = as_float(((uint)wr[k*32 + j]) << 16);
		MMG_BLOCK_DOTS(1.0f)
	}
	MMG_EPILOGUE
}

__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void mmg_q8_0(__global const uchar *w, __global const float *x, __global float *y, int rows, int cols, int n) {
	MMG_PROLOGUE
	__global const uchar *wr = w + (size_t)r * nb * 34;
	for (int k = lid; k < nb; k += WG) {
		__global const uchar *p = wr + k * 34;
		float d = vload_half(0, (__global const half *)p);
		for (int j = 0; j < 32; j++) blk[j] = (float)((char)p[2 + j]);
		MMG_BLOCK_DOTS(d)
	}
	MMG_EPILOGUE
}

__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void mmg_q4_0(__global const uchar *w, __global const float *x, __global float *y, int rows, int cols, int n) {
	MMG_PROLOGUE
	__global const uchar *wr = w + (size_t)r * nb * 18;
	for (int k = lid; k < nb; k += WG) {
		__global const uchar *p = wr + k * 18;
		float d = vload_half(0, (__global const half *)p);
		for (int j = 0; j < 16; j++) {
			uchar q = p[2 + j];
			blk[j] = (float)((int)(q & 15) - 8);
			blk[j + 16] = (float)((int)(q >> 4) - 8);
		}
		MMG_BLOCK_DOTS(d)
	}
	MMG_EPILOGUE
}
`
