package client

// Adapted from github.com/docker/docker/api/types/time (v28.2.2),
// Apache License 2.0.

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

const (
	rfc3339Local     = "2006-01-02T15:04:05"
	rfc3339NanoLocal = "2006-01-02T15:04:05.999999999"
	dateWithZone     = "2006-01-02Z07:00"
	dateLocal        = "2006-01-02"
)

// GetTimestamp reads a time as `docker logs --since` takes it — a duration
// before reference ("42m"), an RFC 3339 date or time, or a Unix timestamp —
// and returns it as the engine takes it: seconds and nanoseconds since the
// epoch ("1700000000.000000000").
func GetTimestamp(value string, reference time.Time) (string, error) {
	if d, err := time.ParseDuration(value); value != "0" && err == nil {
		return strconv.FormatInt(reference.Add(-d).Unix(), 10), nil
	}

	var format string
	// if the string has a Z, a + or three dashes, it is in a time zone
	parseInLocation := !strings.ContainsAny(value, "zZ+") && strings.Count(value, "-") != 3

	switch {
	case strings.Contains(value, "."):
		if parseInLocation {
			format = rfc3339NanoLocal
		} else {
			format = time.RFC3339Nano
		}
	case strings.Contains(value, "T"):
		tcolons := strings.Count(value, ":")
		if !parseInLocation && !strings.ContainsAny(value, "zZ") && tcolons > 0 {
			tcolons--
		}
		if parseInLocation {
			switch tcolons {
			case 0:
				format = "2006-01-02T15"
			case 1:
				format = "2006-01-02T15:04"
			default:
				format = rfc3339Local
			}
		} else {
			switch tcolons {
			case 0:
				format = "2006-01-02T15Z07:00"
			case 1:
				format = "2006-01-02T15:04Z07:00"
			default:
				format = time.RFC3339
			}
		}
	case parseInLocation:
		format = dateLocal
	default:
		format = dateWithZone
	}

	var t time.Time
	var err error
	if parseInLocation {
		t, err = time.ParseInLocation(format, value, time.FixedZone(reference.Zone()))
	} else {
		t, err = time.Parse(format, value)
	}
	if err != nil {
		if strings.Contains(value, "-") {
			return "", err
		}
		if _, _, err := parseTimestamp(value); err != nil {
			return "", fmt.Errorf("failed to parse value as time or duration: %q", value)
		}
		return value, nil
	}
	return fmt.Sprintf("%d.%09d", t.Unix(), int64(t.Nanosecond())), nil
}

func parseTimestamp(value string) (seconds, nanoseconds int64, _ error) {
	s, n, ok := strings.Cut(value, ".")
	sec, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return sec, 0, err
	}
	if !ok {
		return sec, 0, nil
	}
	nsec, err := strconv.ParseInt(n, 10, 64)
	if err != nil {
		return sec, nsec, err
	}
	nsec = int64(float64(nsec) * math.Pow(10, float64(9-len(n))))
	return sec, nsec, nil
}
