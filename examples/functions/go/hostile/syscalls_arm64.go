package main

// System call numbers the syscall package lacks or names differently (arm64).
const (
	sysIoUringSetup   = 425
	sysBpf            = 280
	sysPerfEventOpen  = 241
	sysUserfaultfd    = 282
	sysKeyctl         = 219
	sysAddKey         = 217
	sysPersonality    = 92
	sysOpenByHandleAt = 265
	sysNameToHandleAt = 264
	sysKexecLoad      = 104
	sysKexecFileLoad  = 294
	sysSetns          = 268
	sysPivotRoot      = 41
	sysFsopen         = 430
	sysProcessVmReadv = 270
	sysClone3         = 435
	sysIoctl          = 29
)
