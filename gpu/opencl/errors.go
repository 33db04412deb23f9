package opencl

import (
	"errors"
	"fmt"
)

// Sentinel errors; returned errors wrap these.
var (
	// ErrNoLibrary means libOpenCL.so.1 could not be opened.
	ErrNoLibrary = errors.New("opencl: OpenCL library (libOpenCL.so.1) not found")
	// ErrNoPlatform means the library reports no OpenCL platform (no ICD
	// installed, e.g. no pocl-opencl-icd or GPU driver).
	ErrNoPlatform = errors.New("opencl: no OpenCL platform")
	// ErrNoDevice means no platform offers a device.
	ErrNoDevice = errors.New("opencl: no OpenCL device")
	// ErrBuild means the kernels failed to compile; the build log follows.
	ErrBuild = errors.New("opencl: kernel build failed")
	// ErrCall means an OpenCL call returned an error code.
	ErrCall = errors.New("opencl: call failed")
	// ErrUnsupportedType means a weight type has no kernel.
	ErrUnsupportedType = errors.New("opencl: unsupported weight type")
	// ErrBadArgs means matrix/vector sizes disagree.
	ErrBadArgs = errors.New("opencl: bad arguments")
	// ErrClosed means the device or matrix was used after Close/Release.
	ErrClosed = errors.New("opencl: closed")
)

func callErr(fn string, code int32) error {
	return fmt.Errorf("%w: %s returned %d", ErrCall, fn, code)
}
