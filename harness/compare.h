/* falsify compare DIR_A DIR_B: two machines' results side by side. */
#ifndef FK_COMPARE_H
#define FK_COMPARE_H
#include <stdio.h>
/* Reads DIR/machine.csv and DIR/hypotheses.csv of both folders and prints the
 * ceilings, the verdicts that differ and the speedups to out.  Returns 0, or 2
 * with a message naming the missing or malformed file on stderr. */
int fk_compare(const char *dir_a, const char *dir_b, FILE *out);
#endif
