/* Looks up a faulting RIP in __ex_table and resumes at its fixup. */
#include "arch/x86_64/extable.h"

struct extable_entry {
	u64 insn;
	u64 fixup;
};

extern const struct extable_entry __ex_table_start[], __ex_table_end[];
extern u64 probe_exec_target;
extern const char probe_exec_fixup[];

bool extable_fixup(struct trap_frame *f)
{
	for (const struct extable_entry *e = __ex_table_start; e < __ex_table_end; e++) {
		if (e->insn == f->rip) {
			trap_note_probe_fault(f);
			f->rip = e->fixup;
			return true;
		}
	}
	if (probe_exec_target && f->rip == probe_exec_target &&
	    f->vector == TRAP_PF && (f->error_code & PF_ERR_FETCH)) {
		trap_note_probe_fault(f);
		f->rip = (u64)probe_exec_fixup;
		return true;
	}
	return false;
}
