//go:build !js

package formatter

import (
	"os"
	"os/exec"
	"reflect"
	"slices"
	"testing"
	"unicode"
)

// TestMethodsGenerated fails when methods_gen.go is not what
// scripts/templatemethods writes for the types of shared/cli today.
func TestMethodsGenerated(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go run")
	}
	cmd := exec.Command("go", "run", "./scripts/templatemethods", "-check")
	cmd.Dir = "../../.."
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
}

// TestMarshalMapMethods checks that {{json .}} finds the methods that
// reflect's Method(i) enumerates, as it did before it used methodNames.
func TestMarshalMapMethods(t *testing.T) {
	for _, x := range []SubContext{
		NewContainerContext(), &imageContext{}, &volumeContext{},
		&diffContext{}, &historyContext{},
	} {
		val := reflect.ValueOf(x)
		var want []string
		for i := 0; i < val.NumMethod(); i++ {
			name := val.Type().Method(i).Name
			v := val.Method(i)
			if name == "FullHeader" || !unicode.IsUpper(rune(name[0])) ||
				v.Type().NumIn() != 0 || v.Type().NumOut() != 1 {
				continue
			}
			want = append(want, name)
		}
		var got []string
		for _, name := range methodNames {
			if v := MethodByName(val, name); v.IsValid() && name != "FullHeader" &&
				v.Type().NumIn() == 0 && v.Type().NumOut() == 1 {
				got = append(got, name)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%T: methods %q, want %q", x, got, want)
		}
	}
}
