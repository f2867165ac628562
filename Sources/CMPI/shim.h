// Open MPI's C API (Debian libopenmpi-dev; pkg-config "ompi"). Its handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, …)
// are macros over addresses of global objects, which Swift cannot import, so they are handed over by these functions.
#include <mpi.h>

static inline MPI_Comm grow_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype grow_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype grow_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype grow_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Datatype grow_mpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Op grow_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Op grow_mpi_max(void) { return MPI_MAX; }
static inline int grow_mpi_success(void) { return MPI_SUCCESS; }
static inline void *grow_mpi_in_place(void) { return MPI_IN_PLACE; }
