package odata

import (
	"math"
)

var (
	posInf = math.Inf(1)
	nan    = math.NaN()
)
