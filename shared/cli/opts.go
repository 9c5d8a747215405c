package cli

// Flag values, adapted from github.com/docker/cli/opts (v28.2.2), Apache
// License 2.0. Their Type() names appear in the help ("-e, --env list").

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	units "github.com/docker/go-units"
	"github.com/moby/moby/api/types/blkiodev"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
)

// validator checks and normalises one flag value.
type validator func(string) (string, error)

// listOpts is a repeatable string flag ("list").
type listOpts struct {
	values    *[]string
	validator validator
}

func newListOpts(values *[]string, v validator) *listOpts {
	if values == nil {
		values = new([]string)
	}
	return &listOpts{values: values, validator: v}
}

func (o *listOpts) String() string {
	if len(*o.values) == 0 {
		return ""
	}
	return fmt.Sprintf("%v", *o.values)
}

func (o *listOpts) Set(value string) error {
	if o.validator != nil {
		v, err := o.validator(value)
		if err != nil {
			return err
		}
		value = v
	}
	*o.values = append(*o.values, value)
	return nil
}

func (o *listOpts) Type() string { return "list" }

func (o *listOpts) slice() []string { return *o.values }

func (o *listOpts) len() int { return len(*o.values) }

func (o *listOpts) has(v string) bool {
	for _, k := range *o.values {
		if k == v {
			return true
		}
	}
	return false
}

// allOrEmpty returns the values, never nil.
func (o *listOpts) allOrEmpty() []string {
	if *o.values == nil {
		return []string{}
	}
	return *o.values
}

// mapOpts is a repeatable "key=value" flag ("map").
type mapOpts struct {
	values    map[string]string
	validator validator
}

func newMapOpts(v validator) *mapOpts { return &mapOpts{values: map[string]string{}, validator: v} }

func (o *mapOpts) Set(value string) error {
	if o.validator != nil {
		v, err := o.validator(value)
		if err != nil {
			return err
		}
		value = v
	}
	k, v, _ := strings.Cut(value, "=")
	o.values[k] = v
	return nil
}

func (o *mapOpts) String() string { return fmt.Sprintf("%v", o.values) }
func (o *mapOpts) Type() string   { return "map" }

// quotedString is a string flag whose value may be quoted.
type quotedString struct{ value *string }

func newQuotedString(def string) *quotedString { return &quotedString{value: &def} }

func (s *quotedString) Set(val string) error {
	if len(val) >= 2 {
		last := len(val) - 1
		for _, q := range []byte{'\'', '"'} {
			if val[0] == q && val[last] == q {
				val = val[1:last]
				break
			}
		}
	}
	*s.value = val
	return nil
}
func (s *quotedString) Type() string   { return "string" }
func (s *quotedString) String() string { return *s.value }

// memBytes is a size flag ("bytes"): "512m", "1g".
type memBytes int64

func (m *memBytes) String() string {
	if *m != 0 {
		return units.BytesSize(float64(*m))
	}
	return "0"
}

func (m *memBytes) Set(value string) error {
	v, err := units.RAMInBytes(value)
	*m = memBytes(v)
	return err
}

func (m *memBytes) Type() string { return "bytes" }

// memSwapBytes is --memory-swap: a size or -1.
type memSwapBytes int64

func (m *memSwapBytes) Set(value string) error {
	if value == "-1" {
		*m = -1
		return nil
	}
	v, err := units.RAMInBytes(value)
	*m = memSwapBytes(v)
	return err
}

func (m *memSwapBytes) Type() string { return "bytes" }

func (m *memSwapBytes) String() string {
	b := memBytes(*m)
	return b.String()
}

// nanoCPUs is --cpus ("decimal"): a number of CPUs, stored in billionths.
type nanoCPUs int64

func (c *nanoCPUs) String() string {
	if *c == 0 {
		return ""
	}
	return big.NewRat(int64(*c), 1e9).FloatString(3)
}

func (c *nanoCPUs) Set(value string) error {
	cpus, err := parseCPUs(value)
	*c = nanoCPUs(cpus)
	return err
}

func (c *nanoCPUs) Type() string { return "decimal" }

func parseCPUs(value string) (int64, error) {
	cpu, ok := new(big.Rat).SetString(value)
	if !ok {
		return 0, fmt.Errorf("failed to parse %v as a rational number", value)
	}
	nano := cpu.Mul(cpu, big.NewRat(1e9, 1))
	if !nano.IsInt() {
		return 0, errors.New("value is too precise")
	}
	return nano.Num().Int64(), nil
}

// filterOpt is --filter ("filter"): "name=value" pairs.
type filterOpt struct {
	names  []string
	values map[string][]string
}

func newFilterOpt() *filterOpt { return &filterOpt{values: map[string][]string{}} }

func (o *filterOpt) String() string {
	if len(o.values) == 0 {
		return ""
	}
	m := map[string]map[string]bool{}
	for k, vs := range o.values {
		m[k] = map[string]bool{}
		for _, v := range vs {
			m[k][v] = true
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "invalid filters"
	}
	return string(b)
}

func (o *filterOpt) Set(value string) error {
	if value == "" {
		return nil
	}
	if !strings.Contains(value, "=") {
		return errors.New("bad format of filter (expected name=value)")
	}
	name, val, _ := strings.Cut(value, "=")
	name = strings.ToLower(strings.TrimSpace(name))
	val = strings.TrimSpace(val)
	o.add(name, val)
	return nil
}

func (o *filterOpt) add(name, val string) {
	for _, v := range o.values[name] {
		if v == val {
			return
		}
	}
	o.values[name] = append(o.values[name], val)
}

func (o *filterOpt) Type() string { return "filter" }

// ulimitOpt is --ulimit ("ulimit").
type ulimitOpt struct{ values map[string]*units.Ulimit }

func newUlimitOpt() *ulimitOpt { return &ulimitOpt{values: map[string]*units.Ulimit{}} }

func (o *ulimitOpt) Set(val string) error {
	l, err := units.ParseUlimit(val)
	if err != nil {
		return err
	}
	o.values[l.Name] = l
	return nil
}

func (o *ulimitOpt) String() string {
	out := make([]string, 0, len(o.values))
	for _, v := range o.values {
		out = append(out, v.String())
	}
	sort.Strings(out)
	return fmt.Sprintf("%v", out)
}

func (o *ulimitOpt) Type() string { return "ulimit" }

func (o *ulimitOpt) list() []*container.Ulimit {
	out := make([]*container.Ulimit, 0, len(o.values))
	for _, v := range o.values {
		out = append(out, &container.Ulimit{Name: v.Name, Hard: v.Hard, Soft: v.Soft})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// weightDeviceOpt is --blkio-weight-device ("list").
type weightDeviceOpt struct{ values []*blkiodev.WeightDevice }

func (o *weightDeviceOpt) Set(val string) error {
	k, v, ok := strings.Cut(val, ":")
	if !ok || k == "" {
		return fmt.Errorf("bad format: %s", val)
	}
	if !strings.HasPrefix(k, "/dev/") {
		return fmt.Errorf("bad format for device path: %s", val)
	}
	weight, err := strconv.ParseUint(v, 10, 16)
	if err != nil || (weight > 0 && (weight < 10 || weight > 1000)) {
		return fmt.Errorf("invalid weight for device: %s", val)
	}
	o.values = append(o.values, &blkiodev.WeightDevice{Path: k, Weight: uint16(weight)})
	return nil
}

func (o *weightDeviceOpt) String() string {
	out := make([]string, 0, len(o.values))
	for _, v := range o.values {
		out = append(out, v.String())
	}
	return fmt.Sprintf("%v", out)
}

func (o *weightDeviceOpt) Type() string { return "list" }

// throttleDeviceOpt is --device-read-bps and its kin ("list").
type throttleDeviceOpt struct {
	values []*blkiodev.ThrottleDevice
	iops   bool
}

func (o *throttleDeviceOpt) Set(val string) error {
	k, v, ok := strings.Cut(val, ":")
	if !ok || k == "" {
		return fmt.Errorf("bad format: %s", val)
	}
	if !strings.HasPrefix(k, "/dev/") {
		return fmt.Errorf("bad format for device path: %s", val)
	}
	if o.iops {
		rate, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return fmt.Errorf("invalid rate for device: %s. The correct format is <device-path>:<number>. Number must be a positive integer", val)
		}
		o.values = append(o.values, &blkiodev.ThrottleDevice{Path: k, Rate: rate})
		return nil
	}
	rate, err := units.RAMInBytes(v)
	if err != nil || rate < 0 {
		return fmt.Errorf("invalid rate for device: %s. The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb", val)
	}
	o.values = append(o.values, &blkiodev.ThrottleDevice{Path: k, Rate: uint64(rate)})
	return nil
}

func (o *throttleDeviceOpt) String() string {
	out := make([]string, 0, len(o.values))
	for _, v := range o.values {
		out = append(out, v.String())
	}
	return fmt.Sprintf("%v", out)
}

func (o *throttleDeviceOpt) Type() string { return "list" }

func (o *throttleDeviceOpt) list() []*blkiodev.ThrottleDevice {
	out := make([]*blkiodev.ThrottleDevice, len(o.values))
	copy(out, o.values)
	return out
}

// gpuOpts is --gpus ("gpu-request").
type gpuOpts struct{ values []container.DeviceRequest }

func parseGPUCount(s string) (int, error) {
	if s == "all" {
		return -1, nil
	}
	i, err := strconv.Atoi(s)
	if err != nil {
		var numErr *strconv.NumError
		if errors.As(err, &numErr) {
			err = numErr.Err
		}
		return 0, fmt.Errorf(`invalid count (%s): value must be either "all" or an integer: %w`, s, err)
	}
	return i, nil
}

func (o *gpuOpts) Set(value string) error {
	fields, err := csv.NewReader(strings.NewReader(value)).Read()
	if err != nil {
		return err
	}
	req := container.DeviceRequest{}
	seen := map[string]bool{}
	for _, field := range fields {
		key, val, withValue := strings.Cut(field, "=")
		if seen[key] {
			return fmt.Errorf("gpu request key '%s' can be specified only once", key)
		}
		seen[key] = true
		if !withValue {
			seen["count"] = true
			if req.Count, err = parseGPUCount(key); err != nil {
				return err
			}
			continue
		}
		switch key {
		case "driver":
			req.Driver = val
		case "count":
			if req.Count, err = parseGPUCount(val); err != nil {
				return err
			}
		case "device":
			req.DeviceIDs = strings.Split(val, ",")
		case "capabilities":
			req.Capabilities = [][]string{append(strings.Split(val, ","), "gpu")}
		case "options":
			optFields, err := csv.NewReader(strings.NewReader(val)).Read()
			if err != nil {
				return fmt.Errorf("failed to read gpu options: %w", err)
			}
			req.Options = kvMap(optFields)
		default:
			return fmt.Errorf("unexpected key '%s' in '%s'", key, field)
		}
	}
	if !seen["count"] && req.DeviceIDs == nil {
		req.Count = 1
	}
	if req.Options == nil {
		req.Options = map[string]string{}
	}
	if req.Capabilities == nil {
		req.Capabilities = [][]string{{"gpu"}}
	}
	o.values = append(o.values, req)
	return nil
}

func (o *gpuOpts) Type() string { return "gpu-request" }

func (o *gpuOpts) String() string {
	gpus := []string{}
	for _, gpu := range o.values {
		gpus = append(gpus, fmt.Sprintf("%v", gpu))
	}
	return strings.Join(gpus, ", ")
}

// mountOpt is --mount ("mount").
type mountOpt struct {
	values []mount.Mount
	abs    func(string) (string, error)
}

func (m *mountOpt) Set(value string) error {
	fields, err := csv.NewReader(strings.NewReader(value)).Read()
	if err != nil {
		return err
	}
	mnt := mount.Mount{Type: mount.TypeVolume}
	volumeOptions := func() *mount.VolumeOptions {
		if mnt.VolumeOptions == nil {
			mnt.VolumeOptions = &mount.VolumeOptions{Labels: map[string]string{}}
		}
		if mnt.VolumeOptions.DriverConfig == nil {
			mnt.VolumeOptions.DriverConfig = &mount.Driver{}
		}
		return mnt.VolumeOptions
	}
	imageOptions := func() *mount.ImageOptions {
		if mnt.ImageOptions == nil {
			mnt.ImageOptions = new(mount.ImageOptions)
		}
		return mnt.ImageOptions
	}
	bindOptions := func() *mount.BindOptions {
		if mnt.BindOptions == nil {
			mnt.BindOptions = new(mount.BindOptions)
		}
		return mnt.BindOptions
	}
	tmpfsOptions := func() *mount.TmpfsOptions {
		if mnt.TmpfsOptions == nil {
			mnt.TmpfsOptions = new(mount.TmpfsOptions)
		}
		return mnt.TmpfsOptions
	}
	setValueOnMap := func(target map[string]string, value string) {
		k, v, _ := strings.Cut(value, "=")
		if k != "" {
			target[k] = v
		}
	}
	for _, field := range fields {
		key, val, ok := strings.Cut(field, "=")
		key = strings.ToLower(key)
		if !ok {
			switch key {
			case "readonly", "ro":
				mnt.ReadOnly = true
				continue
			case "volume-nocopy":
				volumeOptions().NoCopy = true
				continue
			case "bind-nonrecursive":
				bindOptions().NonRecursive = true
				continue
			default:
				return fmt.Errorf("invalid field '%s' must be a key=value pair", field)
			}
		}
		switch key {
		case "type":
			mnt.Type = mount.Type(strings.ToLower(val))
		case "source", "src":
			mnt.Source = val
			if !path.IsAbs(val) && strings.HasPrefix(val, ".") && m.abs != nil {
				if abs, err := m.abs(val); err == nil {
					mnt.Source = abs
				}
			}
		case "target", "dst", "destination":
			mnt.Target = val
		case "readonly", "ro":
			if mnt.ReadOnly, err = strconv.ParseBool(val); err != nil {
				return fmt.Errorf("invalid value for %s: %s", key, val)
			}
		case "consistency":
			mnt.Consistency = mount.Consistency(strings.ToLower(val))
		case "bind-propagation":
			bindOptions().Propagation = mount.Propagation(strings.ToLower(val))
		case "bind-nonrecursive":
			if bindOptions().NonRecursive, err = strconv.ParseBool(val); err != nil {
				return fmt.Errorf("invalid value for %s: %s", key, val)
			}
		case "bind-recursive":
			switch val {
			case "enabled":
			case "disabled":
				bindOptions().NonRecursive = true
			case "writable":
				bindOptions().ReadOnlyNonRecursive = true
			case "readonly":
				bindOptions().ReadOnlyForceRecursive = true
			default:
				return fmt.Errorf(`invalid value for %s: %s (must be "enabled", "disabled", "writable", or "readonly")`, key, val)
			}
		case "volume-subpath":
			volumeOptions().Subpath = val
		case "volume-nocopy":
			if volumeOptions().NoCopy, err = strconv.ParseBool(val); err != nil {
				return fmt.Errorf("invalid value for volume-nocopy: %s", val)
			}
		case "volume-label":
			setValueOnMap(volumeOptions().Labels, val)
		case "volume-driver":
			volumeOptions().DriverConfig.Name = val
		case "volume-opt":
			if volumeOptions().DriverConfig.Options == nil {
				volumeOptions().DriverConfig.Options = map[string]string{}
			}
			setValueOnMap(volumeOptions().DriverConfig.Options, val)
		case "image-subpath":
			imageOptions().Subpath = val
		case "tmpfs-size":
			size, err := units.RAMInBytes(val)
			if err != nil {
				return fmt.Errorf("invalid value for %s: %s", key, val)
			}
			tmpfsOptions().SizeBytes = size
		case "tmpfs-mode":
			mode, err := strconv.ParseUint(val, 8, 32)
			if err != nil {
				return fmt.Errorf("invalid value for %s: %s", key, val)
			}
			tmpfsOptions().Mode = os.FileMode(mode)
		default:
			return fmt.Errorf("unexpected key '%s' in '%s'", key, field)
		}
	}
	switch {
	case mnt.Type == "":
		return errors.New("type is required")
	case mnt.Target == "":
		return errors.New("target is required")
	case mnt.VolumeOptions != nil && mnt.Type != mount.TypeVolume:
		return fmt.Errorf("cannot mix 'volume-*' options with mount type '%s'", mnt.Type)
	case mnt.ImageOptions != nil && mnt.Type != mount.TypeImage:
		return fmt.Errorf("cannot mix 'image-*' options with mount type '%s'", mnt.Type)
	case mnt.BindOptions != nil && mnt.Type != mount.TypeBind:
		return fmt.Errorf("cannot mix 'bind-*' options with mount type '%s'", mnt.Type)
	case mnt.TmpfsOptions != nil && mnt.Type != mount.TypeTmpfs:
		return fmt.Errorf("cannot mix 'tmpfs-*' options with mount type '%s'", mnt.Type)
	}
	if b := mnt.BindOptions; b != nil {
		if b.ReadOnlyNonRecursive && !mnt.ReadOnly {
			return errors.New("option 'bind-recursive=writable' requires 'readonly' to be specified in conjunction")
		}
		if b.ReadOnlyForceRecursive {
			if !mnt.ReadOnly {
				return errors.New("option 'bind-recursive=readonly' requires 'readonly' to be specified in conjunction")
			}
			if b.Propagation != mount.PropagationRPrivate {
				return errors.New("option 'bind-recursive=readonly' requires 'bind-propagation=rprivate' to be specified in conjunction")
			}
		}
	}
	m.values = append(m.values, mnt)
	return nil
}

func (m *mountOpt) Type() string { return "mount" }

func (m *mountOpt) String() string {
	mounts := []string{}
	for _, mnt := range m.values {
		mounts = append(mounts, fmt.Sprintf("%s %s %s", mnt.Type, mnt.Source, mnt.Target))
	}
	return strings.Join(mounts, ", ")
}

// networkAttachment is one --network value.
type networkAttachment struct {
	Target       string
	Aliases      []string
	DriverOpts   map[string]string
	Links        []string
	IPv4Address  string
	IPv6Address  string
	LinkLocalIPs []string
	MacAddress   string
	GwPriority   int
}

// networkOpt is --network ("network"): a name, or the long syntax
// "name=n,alias=a,ip=...".
type networkOpt struct{ options []networkAttachment }

var longNetworkSyntax = regexp.MustCompile(`\w+=\w+(,\w+=\w+)*`)

func (n *networkOpt) Set(value string) error {
	var netOpt networkAttachment
	if !longNetworkSyntax.MatchString(value) {
		netOpt.Target = value
		n.options = append(n.options, netOpt)
		return nil
	}
	fields, err := csv.NewReader(strings.NewReader(value)).Read()
	if err != nil {
		return err
	}
	netOpt.Aliases = []string{}
	for _, field := range fields {
		key, val, ok := strings.Cut(strings.ToLower(field), "=")
		if !ok || key == "" {
			return fmt.Errorf("invalid field %s", field)
		}
		key = strings.TrimSpace(key)
		val = strings.TrimSpace(val)
		switch key {
		case "name":
			netOpt.Target = val
		case "alias":
			netOpt.Aliases = append(netOpt.Aliases, val)
		case "ip":
			netOpt.IPv4Address = val
		case "ip6":
			netOpt.IPv6Address = val
		case "mac-address":
			netOpt.MacAddress = val
		case "link-local-ip":
			netOpt.LinkLocalIPs = append(netOpt.LinkLocalIPs, val)
		case "driver-opt":
			k, v, ok := strings.Cut(strings.ToLower(val), "=")
			if !ok || k == "" {
				return errors.New("invalid key value pair format in driver options")
			}
			if netOpt.DriverOpts == nil {
				netOpt.DriverOpts = map[string]string{}
			}
			netOpt.DriverOpts[strings.TrimSpace(k)] = strings.TrimSpace(v)
		case "gw-priority":
			netOpt.GwPriority, err = strconv.Atoi(val)
			if err != nil {
				var numErr *strconv.NumError
				if errors.As(err, &numErr) {
					err = numErr.Err
				}
				return fmt.Errorf("invalid gw-priority (%s): %w", val, err)
			}
		default:
			return errors.New("invalid field key " + key)
		}
	}
	if netOpt.Target == "" {
		return errors.New("network name/id is not specified")
	}
	n.options = append(n.options, netOpt)
	return nil
}

func (n *networkOpt) Type() string   { return "network" }
func (n *networkOpt) String() string { return "" }

// networkMode is the first network, or "default".
func (n *networkOpt) networkMode() string {
	if len(n.options) > 0 {
		return n.options[0].Target
	}
	return "default"
}

// Validators.

// lookupEnv makes the validator of -e: "NAME" alone takes NAME's value from
// the client's environment when set.
func lookupEnv(getenv func(string) string) validator {
	return func(val string) (string, error) {
		k, _, hasValue := strings.Cut(val, "=")
		if k == "" {
			return "", errors.New("invalid environment variable: " + val)
		}
		if hasValue {
			return val, nil
		}
		if getenv != nil {
			if v := getenv(k); v != "" {
				return k + "=" + v, nil
			}
		}
		return val, nil
	}
}

func validateIPAddress(val string) (string, error) {
	if ip := net.ParseIP(strings.TrimSpace(val)); ip != nil {
		return ip.String(), nil
	}
	return "", fmt.Errorf("IP address is not correctly formatted: %s", val)
}

var (
	alphaRegexp  = regexp.MustCompile(`[a-zA-Z]`)
	domainRegexp = regexp.MustCompile(`^(:?(:?[a-zA-Z0-9]|(:?[a-zA-Z0-9][a-zA-Z0-9\-]*[a-zA-Z0-9]))(:?\.(:?[a-zA-Z0-9]|(:?[a-zA-Z0-9][a-zA-Z0-9\-]*[a-zA-Z0-9])))*)\.?\s*$`)
)

func validateDNSSearch(val string) (string, error) {
	if val = strings.Trim(val, " "); val == "." {
		return val, nil
	}
	if alphaRegexp.FindString(val) == "" {
		return "", fmt.Errorf("%s is not a valid domain", val)
	}
	ns := domainRegexp.FindSubmatch([]byte(val))
	if len(ns) > 0 && len(ns[1]) < 255 {
		return string(ns[1]), nil
	}
	return "", fmt.Errorf("%s is not a valid domain", val)
}

func validateLabel(value string) (string, error) {
	key, _, _ := strings.Cut(value, "=")
	key = strings.TrimLeft(key, " \t")
	if key == "" {
		return "", fmt.Errorf("invalid label '%s': empty name", value)
	}
	if strings.ContainsAny(key, " \t") {
		return "", fmt.Errorf("label '%s' contains whitespaces", key)
	}
	return value, nil
}

func validateSysctl(val string) (string, error) {
	valid := map[string]bool{
		"kernel.msgmax": true, "kernel.msgmnb": true, "kernel.msgmni": true, "kernel.sem": true,
		"kernel.shmall": true, "kernel.shmmax": true, "kernel.shmmni": true, "kernel.shm_rmid_forced": true,
	}
	k, _, ok := strings.Cut(val, "=")
	if !ok || k == "" {
		return "", fmt.Errorf("sysctl '%s' is not allowed", val)
	}
	if valid[k] || strings.HasPrefix(k, "net.") || strings.HasPrefix(k, "fs.mqueue.") {
		return val, nil
	}
	return "", fmt.Errorf("sysctl '%s' is not allowed", val)
}

func validateExtraHost(val string) (string, error) {
	k, v, ok := strings.Cut(val, "=")
	if !ok {
		k, v, ok = strings.Cut(val, ":")
	}
	if !ok || k == "" || strings.Contains(k, ":") {
		return "", fmt.Errorf("bad format for add-host: %q", val)
	}
	if v != "host-gateway" {
		if len(v) > 2 && v[0] == '[' && v[len(v)-1] == ']' {
			v = v[1 : len(v)-1]
		}
		if _, err := validateIPAddress(v); err != nil {
			return "", fmt.Errorf("invalid IP address in add-host: %q", v)
		}
	}
	return k + ":" + v, nil
}

func parseLink(val string) (string, string, error) {
	if val == "" {
		return "", "", errors.New("empty string specified for links")
	}
	arr := strings.SplitN(val, ":", 3)
	if len(arr) > 2 {
		return "", "", errors.New("bad format for links: " + val)
	}
	if len(arr) == 1 {
		return val, val, nil
	}
	if strings.HasPrefix(arr[0], "/") {
		_, alias := path.Split(arr[1])
		return arr[0][1:], alias, nil
	}
	return arr[0], arr[1], nil
}

func validateLink(val string) (string, error) {
	_, _, err := parseLink(val)
	return val, err
}

var deviceCgroupRuleRegexp = regexp.MustCompile(`^[acb] ([0-9]+|\*):([0-9]+|\*) [rwm]{1,3}$`)

func validateDeviceCgroupRule(val string) (string, error) {
	if deviceCgroupRuleRegexp.MatchString(val) {
		return val, nil
	}
	return val, fmt.Errorf("invalid device cgroup format '%s'", val)
}

func validateAttach(val string) (string, error) {
	s := strings.ToLower(val)
	for _, str := range []string{"stdin", "stdout", "stderr"} {
		if s == str {
			return s, nil
		}
	}
	return val, errors.New("valid streams are STDIN, STDOUT and STDERR")
}

// kvMap splits "k=v" strings into a map.
func kvMap(values []string) map[string]string {
	m := make(map[string]string, len(values))
	for _, v := range values {
		k, val, _ := strings.Cut(v, "=")
		m[k] = val
	}
	return m
}

// readKVFile reads an --env-file or --label-file: "NAME=value" lines,
// comments, and (with lookup) "NAME" lines taking the value from the
// client's environment.
func (c *dockerCLI) readKVFile(filename string, lookup func(string) (string, bool)) ([]string, error) {
	f, err := c.files().Open(filename)
	if err != nil {
		return []string{}, err
	}
	out, err := parseKeyValueFile(f, lookup)
	_ = f.Close()
	if err != nil {
		return []string{}, fmt.Errorf("invalid env file (%s): %v", filename, err)
	}
	return out, nil
}

func parseKeyValueFile(r io.Reader, lookup func(string) (string, bool)) ([]string, error) {
	lines := []string{}
	scanner := bufio.NewScanner(r)
	bom := []byte{0xEF, 0xBB, 0xBF}
	for n := 1; scanner.Scan(); n++ {
		b := scanner.Bytes()
		if !utf8.Valid(b) {
			return []string{}, fmt.Errorf("invalid utf8 bytes at line %d: %v", n, b)
		}
		if n == 1 {
			b = bytes.TrimPrefix(b, bom)
		}
		line := strings.TrimLeftFunc(string(b), unicode.IsSpace)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		key, _, hasValue := strings.Cut(line, "=")
		if len(key) == 0 {
			return []string{}, fmt.Errorf("no variable name on line '%s'", line)
		}
		if strings.ContainsAny(key, " \t") {
			return []string{}, fmt.Errorf("variable '%s' contains whitespaces", key)
		}
		if hasValue {
			lines = append(lines, line)
			continue
		}
		if lookup != nil {
			if value, found := lookup(line); found {
				lines = append(lines, key+"="+value)
			}
		}
	}
	return lines, scanner.Err()
}

// readKVStrings reads files then appends override, as docker's
// ReadKVStrings does.
func (c *dockerCLI) readKVStrings(files, override []string, lookup func(string) (string, bool)) ([]string, error) {
	var vars []string
	for _, f := range files {
		parsed, err := c.readKVFile(f, lookup)
		if err != nil {
			return nil, err
		}
		vars = append(vars, parsed...)
	}
	return append(vars, override...), nil
}

// envLookup looks a variable up in the client's environment; an empty
// value counts as unset.
func (c *dockerCLI) envLookup(name string) (string, bool) {
	v := c.getenv(name)
	return v, v != ""
}
