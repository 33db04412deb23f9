package opencl

import (
	"fmt"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
)

// OpenCL handles are opaque pointers.
type (
	clPlatform = uintptr
	clDevice   = uintptr
	clContext  = uintptr
	clQueue    = uintptr
	clProgram  = uintptr
	clKernel   = uintptr
	clMem      = uintptr
)

// The subset of the OpenCL 1.2 API this package uses.
var cl struct {
	GetPlatformIDs       func(n uint32, platforms unsafe.Pointer, num *uint32) int32
	GetDeviceIDs         func(p clPlatform, typ uint64, n uint32, devices unsafe.Pointer, num *uint32) int32
	GetDeviceInfo        func(d clDevice, param uint32, size uintptr, value unsafe.Pointer, ret *uintptr) int32
	CreateContext        func(props unsafe.Pointer, n uint32, devices unsafe.Pointer, cb uintptr, user uintptr, err *int32) clContext
	CreateCommandQueue   func(c clContext, d clDevice, props uint64, err *int32) clQueue
	CreateProgramWithSrc func(c clContext, n uint32, strs unsafe.Pointer, lens unsafe.Pointer, err *int32) clProgram
	BuildProgram         func(p clProgram, n uint32, devices unsafe.Pointer, opts string, cb uintptr, user uintptr) int32
	GetProgramBuildInfo  func(p clProgram, d clDevice, param uint32, size uintptr, value unsafe.Pointer, ret *uintptr) int32
	CreateKernel         func(p clProgram, name string, err *int32) clKernel
	CreateBuffer         func(c clContext, flags uint64, size uintptr, host unsafe.Pointer, err *int32) clMem
	EnqueueWriteBuffer   func(q clQueue, m clMem, blocking uint32, off, size uintptr, ptr unsafe.Pointer, nev uint32, wait, ev unsafe.Pointer) int32
	EnqueueReadBuffer    func(q clQueue, m clMem, blocking uint32, off, size uintptr, ptr unsafe.Pointer, nev uint32, wait, ev unsafe.Pointer) int32
	SetKernelArg         func(k clKernel, idx uint32, size uintptr, value unsafe.Pointer) int32
	EnqueueNDRangeKernel func(q clQueue, k clKernel, dim uint32, off, global, local unsafe.Pointer, nev uint32, wait, ev unsafe.Pointer) int32
	Finish               func(q clQueue) int32
	ReleaseMemObject     func(m clMem) int32
	ReleaseKernel        func(k clKernel) int32
	ReleaseProgram       func(p clProgram) int32
	ReleaseCommandQueue  func(q clQueue) int32
	ReleaseContext       func(c clContext) int32
}

var (
	loadOnce sync.Once
	loadErr  error
)

// libraryNames are tried in order.
var libraryNames = []string{"libOpenCL.so.1", "libOpenCL.so"}

func load() error {
	loadOnce.Do(func() {
		var h uintptr
		var err error
		for _, name := range libraryNames {
			if h, err = purego.Dlopen(name, purego.RTLD_NOW|purego.RTLD_GLOBAL); err == nil {
				break
			}
		}
		if err != nil {
			loadErr = fmt.Errorf("%w: %v", ErrNoLibrary, err)
			return
		}
		syms := []struct {
			fn   any
			name string
		}{
			{&cl.GetPlatformIDs, "clGetPlatformIDs"},
			{&cl.GetDeviceIDs, "clGetDeviceIDs"},
			{&cl.GetDeviceInfo, "clGetDeviceInfo"},
			{&cl.CreateContext, "clCreateContext"},
			{&cl.CreateCommandQueue, "clCreateCommandQueue"},
			{&cl.CreateProgramWithSrc, "clCreateProgramWithSource"},
			{&cl.BuildProgram, "clBuildProgram"},
			{&cl.GetProgramBuildInfo, "clGetProgramBuildInfo"},
			{&cl.CreateKernel, "clCreateKernel"},
			{&cl.CreateBuffer, "clCreateBuffer"},
			{&cl.EnqueueWriteBuffer, "clEnqueueWriteBuffer"},
			{&cl.EnqueueReadBuffer, "clEnqueueReadBuffer"},
			{&cl.SetKernelArg, "clSetKernelArg"},
			{&cl.EnqueueNDRangeKernel, "clEnqueueNDRangeKernel"},
			{&cl.Finish, "clFinish"},
			{&cl.ReleaseMemObject, "clReleaseMemObject"},
			{&cl.ReleaseKernel, "clReleaseKernel"},
			{&cl.ReleaseProgram, "clReleaseProgram"},
			{&cl.ReleaseCommandQueue, "clReleaseCommandQueue"},
			{&cl.ReleaseContext, "clReleaseContext"},
		}
		for _, s := range syms {
			if _, err := purego.Dlsym(h, s.name); err != nil {
				loadErr = fmt.Errorf("%w: missing symbol %s", ErrNoLibrary, s.name)
				return
			}
			purego.RegisterLibFunc(s.fn, h, s.name)
		}
	})
	return loadErr
}
