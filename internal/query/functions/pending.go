package functions

import (
	"fmt"

	"github.com/influxdata/influxql"
)

func newHoltWinters(n, s int, withFit bool, opts TransformOptions) Transformer {
	return errTransformer{}
}

func newTechnical(name string, args []influxql.Expr) (Transformer, error) {
	return nil, fmt.Errorf("%s() is not implemented yet", name)
}

type errTransformer struct{}

func (errTransformer) Process([]Point) []Point { return nil }
