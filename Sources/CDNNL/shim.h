// oneDNN 2.x C API (Debian libdnnl-dev): the convolution primitives behind the engine's conv seam.
#include <oneapi/dnnl/dnnl.h>
