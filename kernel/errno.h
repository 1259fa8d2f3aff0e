/* Error numbers: functions return 0 or one of these negated. */
#ifndef KERNEL_ERRNO_H
#define KERNEL_ERRNO_H

#define ENOENT   2
#define E2BIG    7
#define ENOMEM  12
#define EAGAIN  11
#define EFAULT  14
#define EBUSY   16
#define EEXIST  17
#define ENODEV  19
#define EINVAL  22
#define ENOSPC  28
#define ERANGE  34
#define ETIMEDOUT 110

#endif
