#include <cblas.h>
// Declared by OpenBLAS's cblas.h on Debian; repeated so the seam is explicit.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char* openblas_get_corename(void);
