package validators

import (
	"sort"
	"strings"
)

// Closest returns the candidate nearest to s by edit distance (case-insensitive), for
// "did you mean" hints; "" when nothing is reasonably close.
func Closest(s string, candidates []string) string {
	best, bestDist := "", -1
	ls := strings.ToLower(s)
	sorted := append([]string(nil), candidates...)
	sort.Strings(sorted)
	for _, c := range sorted {
		d := editDistance(ls, strings.ToLower(c))
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	// A third of the name may differ: a typo or a plural, not another word that shares a few
	// letters ("Frobnicate" is no "Associate").
	limit := len(s)/3 + 1
	if bestDist < 0 || bestDist > limit {
		return ""
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
