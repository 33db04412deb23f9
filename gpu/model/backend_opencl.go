package model

import (
	"errors"
	"fmt"
	"sync"

	"github.com/bizra/bizra/gpu/opencl"
)

// OpenCL is a backend that keeps every weight matrix on an OpenCL device.
type OpenCL struct {
	dev  *opencl.Device
	mu   sync.Mutex
	mats map[*Weight]*opencl.Matrix
	once sync.Once
}

// NewOpenCL opens the default OpenCL device. Errors wrap opencl's
// sentinels (opencl.ErrNoLibrary, opencl.ErrNoPlatform, ...).
func NewOpenCL() (*OpenCL, error) {
	return NewOpenCLWith(opencl.DefaultConfig())
}

// NewOpenCLWith opens the default OpenCL device with cfg.
func NewOpenCLWith(cfg opencl.Config) (*OpenCL, error) {
	dev, err := opencl.OpenWith(cfg)
	if err != nil {
		return nil, err
	}
	return &OpenCL{dev: dev, mats: map[*Weight]*opencl.Matrix{}}, nil
}

// Name implements Backend.
func (o *OpenCL) Name() string { return "opencl: " + o.dev.Name() }

// Prepare uploads all of m's matrices (called by Load).
func (o *OpenCL) Prepare(m *Model) error {
	for _, w := range m.Weights() {
		if _, err := o.matrix(w); err != nil {
			return err
		}
	}
	return nil
}

func (o *OpenCL) matrix(w *Weight) (*opencl.Matrix, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if mat, ok := o.mats[w]; ok {
		return mat, nil
	}
	mat, err := o.dev.Upload(w.Type, w.Rows, w.Cols, w.Data)
	if err != nil {
		return nil, fmt.Errorf("upload %s: %w", w.Name, err)
	}
	o.mats[w] = mat
	return mat, nil
}

// MatMul implements Backend.
func (o *OpenCL) MatMul(y []float32, w *Weight, x []float32, n int) error {
	if err := checkMatMul(y, w, x, n); err != nil {
		return err
	}
	mat, err := o.matrix(w)
	if err != nil {
		return err
	}
	return o.dev.MatMul(mat, x, n, y)
}

// Close implements Backend.
func (o *OpenCL) Close() error {
	var err error
	o.once.Do(func() { err = o.dev.Close() })
	return err
}

// Backend names accepted by NewBackend.
const (
	BackendCPU    = "cpu"
	BackendOpenCL = "opencl"
	BackendAuto   = "auto"
)

// NewBackend returns the named backend. "auto" uses OpenCL when it offers
// a GPU or accelerator and the CPU backend otherwise (an OpenCL CPU device
// such as PoCL is slower than the native CPU backend); the reason for
// choosing the CPU is then returned as note (empty when OpenCL was used),
// so a CLI can print it.
func NewBackend(name string) (be Backend, note string, err error) {
	switch name {
	case BackendCPU, "":
		return NewCPU(0), "", nil
	case BackendOpenCL:
		o, err := NewOpenCL()
		if err != nil {
			return nil, "", err
		}
		return o, "", nil
	case BackendAuto:
		o, err := NewOpenCL()
		if err != nil {
			reason := err.Error()
			if errors.Is(err, opencl.ErrNoPlatform) || errors.Is(err, opencl.ErrNoLibrary) {
				reason += " (install an OpenCL driver, e.g. pocl-opencl-icd)"
			}
			return NewCPU(0), "using cpu backend: " + reason, nil
		}
		if !o.dev.IsGPU() {
			name := o.dev.Name()
			o.Close()
			return NewCPU(0), "using cpu backend: OpenCL device " + name + " is not a GPU", nil
		}
		return o, "", nil
	}
	return nil, "", fmt.Errorf("%w: %q (want cpu, opencl or auto)", ErrUnknownBackend, name)
}
