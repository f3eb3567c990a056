package functions

import "math"

// nelderMead minimises f from start with the downhill simplex method in the
// variant InfluxDB 1.x uses for holt_winters() (the classic formulation
// with a regular initial simplex of the given scale, reflection 1,
// contraction 1/2, expansion 2, and a stop when the standard deviation of
// the vertex values falls below epsilon or after maxIter iterations). f
// may change the vector it is given (holt_winters clamps its parameters
// and updates its seasonal state in place); those changes are kept, as in
// InfluxDB, because they shape where the search goes. It returns the best
// value and a copy of its vertex.
func nelderMead(f func([]float64) float64, start []float64, epsilon, scale float64, maxIter int) (float64, []float64) {
	const reflect, contract, expand = 1.0, 0.5, 2.0
	n := len(start)
	nf := float64(n)

	// Regular simplex around start: vertex k moves every coordinate by q
	// and coordinate k-1 by p instead.
	p := scale * (math.Sqrt(nf+1) - 1 + nf) / (nf * math.Sqrt2)
	q := scale * (math.Sqrt(nf+1) - 1) / (nf * math.Sqrt2)
	simplex := make([][]float64, n+1)
	for k := range simplex {
		simplex[k] = make([]float64, n)
		for j := range simplex[k] {
			simplex[k][j] = start[j]
			if k > 0 {
				if j == k-1 {
					simplex[k][j] += p
				} else {
					simplex[k][j] += q
				}
			}
		}
	}
	val := make([]float64, n+1)
	for k := range simplex {
		val[k] = f(simplex[k])
	}
	centroid := make([]float64, n)
	refl := make([]float64, n)
	exp := make([]float64, n)
	con := make([]float64, n)

	for iter := 0; iter < maxIter; iter++ {
		// Worst (largest), best (smallest), and the largest below the worst.
		worst, best := 0, 0
		for k := range val {
			if val[k] > val[worst] {
				worst = k
			}
			if val[k] < val[best] {
				best = k
			}
		}
		second := best
		for k := range val {
			if val[k] > val[second] && val[k] < val[worst] {
				second = k
			}
		}

		for j := 0; j < n; j++ {
			var s float64
			for k := range simplex {
				if k != worst {
					s += simplex[k][j]
				}
			}
			centroid[j] = s / nf
		}
		for j := range refl {
			refl[j] = centroid[j] + reflect*(centroid[j]-simplex[worst][j])
		}
		fr := f(refl)

		if fr < val[second] && fr >= val[best] {
			copy(simplex[worst], refl)
			val[worst] = fr
		}
		if fr < val[best] {
			for j := range exp {
				exp[j] = centroid[j] + expand*(refl[j]-centroid[j])
			}
			if fe := f(exp); fe < fr {
				copy(simplex[worst], exp)
				val[worst] = fe
			} else {
				copy(simplex[worst], refl)
				val[worst] = fr
			}
		}
		if fr >= val[second] {
			if fr < val[worst] {
				for j := range con { // outside contraction
					con[j] = centroid[j] + contract*(refl[j]-centroid[j])
				}
			} else {
				for j := range con { // inside contraction
					con[j] = centroid[j] - contract*(centroid[j]-simplex[worst][j])
				}
			}
			if fc := f(con); fc < val[worst] {
				copy(simplex[worst], con)
				val[worst] = fc
			} else {
				// Shrink towards the best vertex. Only the worst and second
				// vertices are evaluated again, as in InfluxDB.
				for k := range simplex {
					if k == best {
						continue
					}
					for j := range simplex[k] {
						simplex[k][j] = simplex[best][j] + (simplex[k][j]-simplex[best][j])/2
					}
				}
				val[worst] = f(simplex[worst])
				val[second] = f(simplex[second])
			}
		}

		var mean float64
		for _, v := range val {
			mean += v
		}
		mean /= nf + 1
		var variance float64
		for _, v := range val {
			variance += math.Pow(v-mean, 2) / nf
		}
		if math.Sqrt(variance) < epsilon {
			break
		}
	}

	best := 0
	for k := range val {
		if val[k] < val[best] {
			best = k
		}
	}
	out := make([]float64, n)
	copy(out, simplex[best])
	return f(simplex[best]), out
}
