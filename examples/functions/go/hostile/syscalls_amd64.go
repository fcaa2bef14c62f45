package main

// System call numbers the syscall package lacks or names differently (x86_64).
const (
	sysIoUringSetup   = 425
	sysBpf            = 321
	sysPerfEventOpen  = 298
	sysUserfaultfd    = 323
	sysKeyctl         = 250
	sysAddKey         = 248
	sysPersonality    = 135
	sysOpenByHandleAt = 304
	sysNameToHandleAt = 303
	sysKexecLoad      = 246
	sysKexecFileLoad  = 320
	sysSetns          = 308
	sysPivotRoot      = 155
	sysFsopen         = 430
	sysProcessVmReadv = 310
	sysClone3         = 435
	sysIoctl          = 16
)
