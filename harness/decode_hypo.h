/* Model-level hypotheses (hypotheses/decode.ini), judged by
 * `falsify decode --hypotheses FILE`; format in decode_hypo.c. */
#ifndef FK_DECODE_HYPO_H
#define FK_DECODE_HYPO_H

#include "decode_run.h"
#include "judge.h"

/* Parses, judges every section, prints the table and merges its rows into
 * results/<machine>/decode_hypotheses.csv.  Exit status: 0; 1 if a guard
 * is FALSIFIED or a verdict is UNTESTABLE because the run failed (not for
 * a capability: threads, a plugin the CPU cannot run, emulation), as
 * check --strict; 2 on bad input (file, line, key and rule named). */
int fk_decode_hypotheses(const struct fk_decode_env *env, const char *path);

/* Parses and checks plugin names only: 0 or 2 (message printed). */
int fk_decode_hypotheses_validate(const struct fk_decode_env *env, const char *path);

#endif
