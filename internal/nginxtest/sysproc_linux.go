package nginxtest

import "syscall"

// sysProcAttr kills nginx when the test process dies, even by SIGKILL or a
// test timeout, so no server outlives its tests.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
