// Status and Result<T> are part of the public API; see include/elite/status.h.
#pragma once
#include "elite/status.h"
