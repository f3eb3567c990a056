package functions

import (
	"fmt"
	"testing"
)

// The reference outputs are ta-lib's (as quoted in InfluxDB 1.8's gota
// tests) for the ramp 1..15..1; hold periods select the same points.
var ramp = []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1}

func TestTechnicalAnalysis(t *testing.T) {
	tests := []struct {
		call string
		want []float64 // values at the last len(want) points
	}{
		{"exponential_moving_average(x, 10, -1, 'simple')", []float64{5.5, 6.5, 7.5, 8.5, 9.5, 10.5, 11.136363636363637, 11.475206611570249, 11.570623591284749, 11.466873847414794, 11.200169511521196, 10.800138691244614, 10.291022565563775, 9.692654826370362, 9.021263039757569, 8.290124305256192, 7.510101704300521, 6.690083212609517, 5.837340810316878, 4.957824299350173}},
		{"double_exponential_moving_average(x, 10, -1, 'simple')", []float64{13.568840926166246, 12.701748119313985, 11.701405062848783, 10.611872766773773, 9.465595022565749, 8.28616628396151, 7.090477085921927, 5.8903718513360275, 4.693925476073202, 3.5064225149113692, 2.331104912318361}},
		{"triple_exponential_moving_average(x, 4, -1, 'simple')", []float64{10, 11, 12, 13, 14, 15, 14.431999999999995, 13.345600000000001, 12.155520000000001, 11, 9.906687999999997, 8.86563072, 7.8589122560000035, 6.871005491200005, 5.891160883200005, 4.912928706560004, 3.932955104051203, 2.9498469349785603, 1.9633255712030717, 0.9736696408637435}},
		{"relative_strength_index(x, 10, -1, 'simple')", []float64{100, 100, 100, 100, 100, 90, 81, 72.89999999999999, 65.61, 59.04899999999999, 53.144099999999995, 47.82969, 43.04672099999999, 38.74204889999999, 34.86784400999999, 31.381059608999994, 28.242953648099995, 25.418658283289997, 22.876792454961}},
		{"triple_exponential_derivative(x, 4, -1, 'simple')", []float64{18.181818181818187, 15.384615384615374, 13.33333333333333, 11.764705882352944, 10.526315789473696, 8.304761904761904, 5.641927541329594, 3.0392222148232007, 0.7160675740302658, -1.2848911076603242, -2.9999661985600667, -4.493448741755901, -5.836238000516913, -7.099092024379772, -8.352897627933453, -9.673028502435233, -11.147601363985949, -12.891818138458877, -15.074463280730022}},
		{"kaufmans_adaptive_moving_average(x, 10)", []float64{10.444444444444445, 11.135802469135802, 11.964334705075446, 12.869074836153025, 13.81615268675168, 13.871008014588556, 13.71308456353558, 13.553331356741122, 13.46599437575161, 13.4515677602438, 13.29930139347417, 12.805116570729284, 11.752584300922967, 10.036160535131103, 7.797866963961725, 6.109926091089847, 4.727736717272138, 3.5154092873734104, 2.3974496040963396}},
		{"chande_momentum_oscillator(x, 10, 10)", []float64{100, 100, 100, 100, 100, 80, 60, 40, 20, 0, -20, -40, -60, -80, -100, -100, -100, -100, -100}},
		{"chande_momentum_oscillator(x, 10, -1, 'simple')", []float64{100, 100, 100, 100, 100, 80, 61.999999999999986, 45.79999999999999, 31.22, 18.097999999999992, 6.288199999999988, -4.340620000000012, -13.906558000000008, -22.515902200000014, -30.264311980000013, -37.23788078200001, -43.51409270380002, -49.16268343342002, -54.24641509007802}},
	}
	in := series(0, sec, ramp...)
	for _, tt := range tests {
		t.Run(tt.call, func(t *testing.T) {
			got := transform(t, tt.call, TransformOptions{}, in)
			first := len(ramp) - len(tt.want)
			want := make([]Point, len(tt.want))
			for i, v := range tt.want {
				want[i] = fp(int64(first+i)*sec, v)
			}
			samePoints(t, tt.call, got, want)
		})
	}
}

func TestKaufmansEfficiencyRatio(t *testing.T) {
	in := series(0, sec, 20, 21, 22, 23, 22, 21)
	got := transform(t, "kaufmans_efficiency_ratio(x, 3)", TransformOptions{}, in)
	samePoints(t, "ker", got, []Point{fp(3*sec, 1), fp(4*sec, 1.0/3), fp(5*sec, 1.0/3)})
}

// TestTechnicalDefaultHold checks the default hold periods of InfluxDB's
// documentation table by counting the points held back.
func TestTechnicalDefaultHold(t *testing.T) {
	const p = 5
	tests := []struct {
		call string
		hold int
	}{
		{"exponential_moving_average(x, %d)", p - 1},
		{"exponential_moving_average(x, %d, -1, 'simple')", p - 1},
		{"double_exponential_moving_average(x, %d)", p - 1},
		{"double_exponential_moving_average(x, %d, -1, 'simple')", (p - 1) * 2},
		{"triple_exponential_moving_average(x, %d)", p - 1},
		{"triple_exponential_moving_average(x, %d, -1, 'simple')", (p - 1) * 3},
		{"triple_exponential_derivative(x, %d)", p},
		{"triple_exponential_derivative(x, %d, -1, 'simple')", (p-1)*3 + 1},
		{"relative_strength_index(x, %d)", p},
		{"relative_strength_index(x, %d, -1, 'simple')", p},
		{"chande_momentum_oscillator(x, %d)", p - 1},
		{"chande_momentum_oscillator(x, %d, -1, 'none')", p - 1},
		{"chande_momentum_oscillator(x, %d, -1, 'exponential')", p},
		{"chande_momentum_oscillator(x, %d, -1, 'simple')", p},
		{"kaufmans_efficiency_ratio(x, %d)", p},
		{"kaufmans_adaptive_moving_average(x, %d)", p},
		{"exponential_moving_average(x, %d, 0)", 0},
		{"kaufmans_efficiency_ratio(x, %d, 2)", 2},
	}
	in := series(0, sec, ramp...)
	for _, tt := range tests {
		call := fmt.Sprintf(tt.call, p)
		got := transform(t, call, TransformOptions{}, in)
		if held := len(in) - len(got); held != tt.hold {
			t.Errorf("%s: held back %d points, want %d", call, held, tt.hold)
		}
	}
}
