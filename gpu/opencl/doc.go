// Package opencl runs matrix multiplications on an OpenCL device. The
// OpenCL library (libOpenCL.so.1, the ICD loader) is opened at run time with
// purego, so the package builds without cgo and without OpenCL headers, and
// a machine without OpenCL gets ErrNoLibrary or ErrNoPlatform rather than a
// link failure.
//
// The kernels are OpenCL C 1.2 and need no extensions: float16 scales are
// read with vload_half, which is core OpenCL, so they run on PoCL (CPU) as
// well as NVIDIA, AMD and Intel GPUs. Weight types F32, F16, BF16, Q8_0 and
// Q4_0 are multiplied in their stored form; one kernel launch multiplies a
// matrix by up to 16 activation vectors, reading each weight block once.
//
//	dev, err := opencl.Open()
//	if errors.Is(err, opencl.ErrNoPlatform) { /* fall back to the CPU */ }
//	defer dev.Close()
//	m, err := dev.Upload(gguf.TypeQ8_0, rows, cols, data)
//	err = dev.MatMul(m, x, n, y) // y[b*rows+r] = W[r]·x[b*cols:]
package opencl
