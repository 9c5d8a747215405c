package lesson

import "testing"

func TestParseCheckNumbers(t *testing.T) {
	tests := []struct {
		text    string
		subject string
		n       int
	}{
		{"2 containers exist", "", 2},
		{"1 container exists", "", 1},
		{"0 containers are running", "", 0},
		{"3 containers are running", "", 3},
		{"container hello exited with code 42", "hello", 42},
		{"container web has restarted 3 times", "web", 3},
		{"image greet has 13 history rows", "greet", 13},
		{"image greet has 1 layer", "greet", 1},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			ch, err := ParseCheck(tt.text)
			if err != nil {
				t.Fatal(err)
			}
			if ch.subject != tt.subject || ch.n != tt.n {
				t.Errorf("got subject %q, n %d; want %q, %d", ch.subject, ch.n, tt.subject, tt.n)
			}
		})
	}
}

func TestParseCheckUnknown(t *testing.T) {
	for _, text := range []string{"container hello is sleeping", "two containers exist", "image x has cmd sh"} {
		if _, err := ParseCheck(text); err == nil {
			t.Errorf("ParseCheck(%q): got no error, want one", text)
		}
	}
}
