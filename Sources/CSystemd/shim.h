#ifndef SURGEWATCH_CSYSTEMD_SHIM_H
#define SURGEWATCH_CSYSTEMD_SHIM_H
// libsystemd's notify and journal APIs. sd_journal_sendv is used rather than the variadic
// sd_journal_send, which Swift cannot call.
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#endif
