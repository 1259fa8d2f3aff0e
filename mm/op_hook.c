/* The after-operation hook (mm/op_hook.h): defined here, below its callers. */
#include "mm/op_hook.h"

mm_op_hook_fn mm_op_hook;
