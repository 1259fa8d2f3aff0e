/* Names of errno values, for messages and test diagnostics. */
#include "kernel/errno.h"

const char *errno_name(int err)
{
	switch (err < 0 ? -err : err) {
	case 0: return "0";
	case ENOENT: return "ENOENT";
	case E2BIG: return "E2BIG";
	case ENOMEM: return "ENOMEM";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case EINVAL: return "EINVAL";
	case ENOSPC: return "ENOSPC";
	case ERANGE: return "ERANGE";
	case ETIMEDOUT: return "ETIMEDOUT";
	default: return "E?";
	}
}
