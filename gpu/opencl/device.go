package opencl

import (
	"bytes"
	"fmt"
	"runtime"
	"sync"
	"unsafe"

	"github.com/bizra/bizra/gpu/gguf"
)

const (
	clSuccess               = 0
	clDeviceNotFound        = -1
	clPlatformNotFound      = -1001 // CL_PLATFORM_NOT_FOUND_KHR from the ICD loader
	clDeviceTypeGPU         = 1 << 2
	clDeviceTypeAccelerator = 1 << 3
	clDeviceTypeAll         = 0xFFFFFFFF
	clDeviceName            = 0x102B
	clDeviceType            = 0x1000
	clProgramBuildLog       = 0x1183
	clMemReadOnly           = 1 << 2
	clMemReadWrite          = 1 << 0
)

// Device is one OpenCL device with a context, a queue and the compiled
// kernels. Its methods are safe for concurrent use (calls are serialised).
type Device struct {
	mu      sync.Mutex
	name    string
	dev     clDevice
	ctx     clContext
	queue   clQueue
	prog    clProgram
	kernels map[gguf.TensorType]clKernel // row kernels
	gkerns  map[gguf.TensorType]clKernel // group kernels
	grouped bool                         // use the group kernels
	gpu     bool                         // device type GPU or accelerator
	xbuf    clMem
	xcap    int
	ybuf    clMem
	ycap    int
	mats    map[*Matrix]struct{}
	closed  bool
}

// Matrix is a weight matrix resident on the device.
type Matrix struct {
	Type       gguf.TensorType
	Rows, Cols int
	mem        clMem
	dev        *Device
}

// Platforms reports the number of OpenCL platforms, or an error when the
// library is missing.
func Platforms() (int, error) {
	if err := load(); err != nil {
		return 0, err
	}
	var n uint32
	if code := cl.GetPlatformIDs(0, nil, &n); code != clSuccess && code != clPlatformNotFound {
		return 0, callErr("clGetPlatformIDs", code)
	}
	return int(n), nil
}

// Kernel strategies for Config.Kernels.
const (
	KernelsAuto  = "auto"  // group kernels on GPUs, row kernels elsewhere
	KernelsRow   = "row"   // one work-item per output row
	KernelsGroup = "group" // one work-group per output row
)

// Config configures Open.
type Config struct {
	// Kernels picks the matmul kernels: KernelsAuto, KernelsRow or
	// KernelsGroup.
	Kernels string
}

// DefaultConfig chooses kernels by device type.
func DefaultConfig() Config { return Config{Kernels: KernelsAuto} }

// Validate checks the fields.
func (c Config) Validate() error {
	switch c.Kernels {
	case KernelsAuto, KernelsRow, KernelsGroup:
		return nil
	}
	return fmt.Errorf("%w: Kernels %q (want auto, row or group)", ErrBadArgs, c.Kernels)
}

// Open is OpenWith(DefaultConfig()).
func Open() (*Device, error) { return OpenWith(DefaultConfig()) }

// OpenWith picks a device (the first GPU of any platform, else the first
// device of any type), creates a context and queue and compiles the
// kernels.
func OpenWith(cfg Config) (*Device, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	n, err := Platforms()
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, ErrNoPlatform
	}
	plats := make([]clPlatform, n)
	if code := cl.GetPlatformIDs(uint32(n), unsafe.Pointer(&plats[0]), nil); code != clSuccess {
		return nil, callErr("clGetPlatformIDs", code)
	}
	var dev clDevice
	for _, typ := range []uint64{clDeviceTypeGPU, clDeviceTypeAll} {
		for _, p := range plats {
			var d clDevice
			var nd uint32
			if cl.GetDeviceIDs(p, typ, 1, unsafe.Pointer(&d), &nd) == clSuccess && nd > 0 {
				dev = d
				break
			}
		}
		if dev != 0 {
			break
		}
	}
	if dev == 0 {
		return nil, ErrNoDevice
	}
	d := &Device{dev: dev, kernels: map[gguf.TensorType]clKernel{}, gkerns: map[gguf.TensorType]clKernel{}, mats: map[*Matrix]struct{}{}}
	d.name = d.info(clDeviceName)
	var typ uint64
	if cl.GetDeviceInfo(dev, clDeviceType, 8, unsafe.Pointer(&typ), nil) != clSuccess {
		typ = 0
	}
	d.gpu = typ&(clDeviceTypeGPU|clDeviceTypeAccelerator) != 0
	d.grouped = cfg.Kernels == KernelsGroup || (cfg.Kernels == KernelsAuto && d.gpu)
	if err := d.init(); err != nil {
		d.release()
		return nil, err
	}
	return d, nil
}

func (d *Device) info(param uint32) string {
	var size uintptr
	if cl.GetDeviceInfo(d.dev, param, 0, nil, &size) != clSuccess || size == 0 {
		return ""
	}
	buf := make([]byte, size)
	if cl.GetDeviceInfo(d.dev, param, size, unsafe.Pointer(&buf[0]), nil) != clSuccess {
		return ""
	}
	return string(bytes.TrimRight(buf, "\x00"))
}

func (d *Device) init() error {
	var code int32
	devs := []clDevice{d.dev}
	d.ctx = cl.CreateContext(nil, 1, unsafe.Pointer(&devs[0]), 0, 0, &code)
	if code != clSuccess {
		return callErr("clCreateContext", code)
	}
	d.queue = cl.CreateCommandQueue(d.ctx, d.dev, 0, &code)
	if code != clSuccess {
		return callErr("clCreateCommandQueue", code)
	}
	src := append([]byte(kernelSource), 0)
	srcPtr := unsafe.Pointer(&src[0])
	srcLen := uintptr(len(kernelSource))
	d.prog = cl.CreateProgramWithSrc(d.ctx, 1, unsafe.Pointer(&srcPtr), unsafe.Pointer(&srcLen), &code)
	runtime.KeepAlive(src)
	if code != clSuccess {
		return callErr("clCreateProgramWithSource", code)
	}
	if code = cl.BuildProgram(d.prog, 1, unsafe.Pointer(&devs[0]), "-cl-std=CL1.2\x00", 0, 0); code != clSuccess {
		return fmt.Errorf("%w (code %d): %s", ErrBuild, code, d.buildLog())
	}
	for t, name := range map[gguf.TensorType]string{gguf.TypeF32: "mm_f32", gguf.TypeF16: "mm_f16", gguf.TypeBF16: "mm_bf16", gguf.TypeQ8_0: "mm_q8_0", gguf.TypeQ4_0: "mm_q4_0"} {
		k := cl.CreateKernel(d.prog, name+"\x00", &code)
		if code != clSuccess {
			return callErr("clCreateKernel("+name+")", code)
		}
		d.kernels[t] = k
		g := cl.CreateKernel(d.prog, "mmg_"+name[3:]+"\x00", &code)
		if code != clSuccess {
			return callErr("clCreateKernel(mmg_"+name[3:]+")", code)
		}
		d.gkerns[t] = g
	}
	return nil
}

func (d *Device) buildLog() string {
	var size uintptr
	if cl.GetProgramBuildInfo(d.prog, d.dev, clProgramBuildLog, 0, nil, &size) != clSuccess || size == 0 {
		return "(no log)"
	}
	buf := make([]byte, size)
	cl.GetProgramBuildInfo(d.prog, d.dev, clProgramBuildLog, size, unsafe.Pointer(&buf[0]), nil)
	return string(bytes.TrimRight(buf, "\x00"))
}

// Name is the device name reported by the driver.
func (d *Device) Name() string { return d.name }

// IsGPU reports whether the device is a GPU or accelerator (PoCL's pthread
// device, for one, is a CPU device).
func (d *Device) IsGPU() bool { return d.gpu }

// Grouped reports whether the group kernels are in use.
func (d *Device) Grouped() bool { return d.grouped }

// Upload copies a matrix of rows×cols values stored as typ to the device.
func (d *Device) Upload(typ gguf.TensorType, rows, cols int, data []byte) (*Matrix, error) {
	if _, ok := map[gguf.TensorType]bool{gguf.TypeF32: true, gguf.TypeF16: true, gguf.TypeBF16: true, gguf.TypeQ8_0: true, gguf.TypeQ4_0: true}[typ]; !ok {
		return nil, fmt.Errorf("%w: %s", ErrUnsupportedType, typ)
	}
	if rows <= 0 || cols <= 0 || cols%32 != 0 || len(data) != rows*typ.RowBytes(cols) {
		return nil, fmt.Errorf("%w: %s matrix %dx%d with %d bytes (columns must be a multiple of 32)", ErrBadArgs, typ, rows, cols, len(data))
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil, ErrClosed
	}
	var code int32
	mem := cl.CreateBuffer(d.ctx, clMemReadOnly, uintptr(len(data)), nil, &code)
	if code != clSuccess {
		return nil, callErr("clCreateBuffer", code)
	}
	code = cl.EnqueueWriteBuffer(d.queue, mem, 1, 0, uintptr(len(data)), unsafe.Pointer(&data[0]), 0, nil, nil)
	runtime.KeepAlive(data)
	if code != clSuccess {
		cl.ReleaseMemObject(mem)
		return nil, callErr("clEnqueueWriteBuffer", code)
	}
	m := &Matrix{Type: typ, Rows: rows, Cols: cols, mem: mem, dev: d}
	d.mats[m] = struct{}{}
	return m, nil
}

// Release frees the matrix's device memory; safe to call twice.
func (m *Matrix) Release() {
	d := m.dev
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.mats[m]; ok {
		cl.ReleaseMemObject(m.mem)
		delete(d.mats, m)
	}
}

func (d *Device) ensure(buf *clMem, capacity *int, floats int) error {
	if *capacity >= floats {
		return nil
	}
	if *buf != 0 {
		cl.ReleaseMemObject(*buf)
		*buf = 0
	}
	var code int32
	*buf = cl.CreateBuffer(d.ctx, clMemReadWrite, uintptr(floats*4), nil, &code)
	if code != clSuccess {
		*capacity = 0
		*buf = 0
		return callErr("clCreateBuffer", code)
	}
	*capacity = floats
	return nil
}

// MatMul computes y[b*Rows+r] = sum_c W[r][c]*x[b*Cols+c] for b < n.
func (d *Device) MatMul(m *Matrix, x []float32, n int, y []float32) error {
	if n <= 0 || len(x) < n*m.Cols || len(y) < n*m.Rows {
		return fmt.Errorf("%w: %dx%d matrix, n=%d, len(x)=%d, len(y)=%d", ErrBadArgs, m.Rows, m.Cols, n, len(x), len(y))
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return ErrClosed
	}
	if _, ok := d.mats[m]; !ok || m.dev != d {
		return fmt.Errorf("%w: matrix released or from another device", ErrClosed)
	}
	chunk := min(n, MaxBatch)
	if err := d.ensure(&d.xbuf, &d.xcap, chunk*m.Cols); err != nil {
		return err
	}
	if err := d.ensure(&d.ybuf, &d.ycap, chunk*m.Rows); err != nil {
		return err
	}
	k := d.kernels[m.Type]
	if d.grouped {
		k = d.gkerns[m.Type]
	}
	for b0 := 0; b0 < n; b0 += MaxBatch {
		nb := min(MaxBatch, n-b0)
		xs := x[b0*m.Cols : (b0+nb)*m.Cols]
		if code := cl.EnqueueWriteBuffer(d.queue, d.xbuf, 1, 0, uintptr(len(xs)*4), unsafe.Pointer(&xs[0]), 0, nil, nil); code != clSuccess {
			return callErr("clEnqueueWriteBuffer", code)
		}
		rows, cols, cnt := int32(m.Rows), int32(m.Cols), int32(nb)
		args := []struct {
			size uintptr
			ptr  unsafe.Pointer
		}{
			{unsafe.Sizeof(m.mem), unsafe.Pointer(&m.mem)},
			{unsafe.Sizeof(d.xbuf), unsafe.Pointer(&d.xbuf)},
			{unsafe.Sizeof(d.ybuf), unsafe.Pointer(&d.ybuf)},
			{4, unsafe.Pointer(&rows)},
			{4, unsafe.Pointer(&cols)},
			{4, unsafe.Pointer(&cnt)},
		}
		for i, a := range args {
			if code := cl.SetKernelArg(k, uint32(i), a.size, a.ptr); code != clSuccess {
				return callErr("clSetKernelArg", code)
			}
		}
		global, local := uintptr(m.Rows), unsafe.Pointer(nil)
		wg := uintptr(WorkGroup)
		if d.grouped {
			global, local = uintptr(m.Rows*WorkGroup), unsafe.Pointer(&wg)
		}
		if code := cl.EnqueueNDRangeKernel(d.queue, k, 1, nil, unsafe.Pointer(&global), local, 0, nil, nil); code != clSuccess {
			return callErr("clEnqueueNDRangeKernel", code)
		}
		ys := y[b0*m.Rows : (b0+nb)*m.Rows]
		if code := cl.EnqueueReadBuffer(d.queue, d.ybuf, 1, 0, uintptr(len(ys)*4), unsafe.Pointer(&ys[0]), 0, nil, nil); code != clSuccess {
			return callErr("clEnqueueReadBuffer", code)
		}
		runtime.KeepAlive(xs)
		runtime.KeepAlive(ys)
	}
	return nil
}

// Close releases every resource of the device, including matrices not yet
// released; safe to call twice.
func (d *Device) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	d.release()
	return nil
}

func (d *Device) release() {
	for m := range d.mats {
		cl.ReleaseMemObject(m.mem)
		delete(d.mats, m)
	}
	if d.xbuf != 0 {
		cl.ReleaseMemObject(d.xbuf)
		d.xbuf = 0
	}
	if d.ybuf != 0 {
		cl.ReleaseMemObject(d.ybuf)
		d.ybuf = 0
	}
	for t, k := range d.kernels {
		cl.ReleaseKernel(k)
		delete(d.kernels, t)
	}
	for t, k := range d.gkerns {
		cl.ReleaseKernel(k)
		delete(d.gkerns, t)
	}
	if d.prog != 0 {
		cl.ReleaseProgram(d.prog)
		d.prog = 0
	}
	if d.queue != 0 {
		cl.Finish(d.queue)
		cl.ReleaseCommandQueue(d.queue)
		d.queue = 0
	}
	if d.ctx != 0 {
		cl.ReleaseContext(d.ctx)
		d.ctx = 0
	}
}
