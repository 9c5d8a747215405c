package lesson

import "testing"

func TestNormalize(t *testing.T) {
	cases := []struct{ in, want string }{
		{"d5d3887e849a4fc509dde0144391562957a1e88d030f187194e13aff3035d422", "<ID>"},
		{"sha256:4401d3c142ac129feb338877bcd736525d1ddfb51a40b28b48a61893bfb0d662", "sha256:<ID>"},
		{"f6045c654c8d   Less than a second ago   /bin/sh", "<SHORTID>  <DURATION> ago  /bin/sh"},
		{"1fb95bf25b63   3 hours ago   /bin/sh", "<SHORTID>  <DURATION> ago  /bin/sh"},
		{"beautiful_dirac Exited (0) 1 second ago \"echo hello world\"", "<NAME> Exited (0) <DURATION> ago \"echo hello world\""},
		{"made Up 3 minutes (Paused)", "made Up <DURATION> (Paused)"},
		{"DB_NAME=/gallant_volhard/db", "DB_NAME=/<NAME>/db"},
		// Not IDs, not names: left alone.
		{"/bin/sh -c #(nop) ADD file:21b797decdefbf806…", "/bin/sh -c #(nop) ADD file:21b797decdefbf806…"},
		{"no_such thing", "no_such thing"},
		{"2026-11-23T09:18:35.083083734Z out", "<TIME> out"},
	}
	for _, tc := range cases {
		if got := Normalize(tc.in); got != tc.want {
			t.Errorf("Normalize(%q): got %q, want %q", tc.in, got, tc.want)
		}
	}
}
