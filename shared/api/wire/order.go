package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
)

// API 1.41's JSON is that of dockerd 20.10's Go types, whose fields differ
// from moby's current types in order and in membership. The docker CLI
// prints the daemon's bytes as they are for `docker inspect`, so the
// answers it prints are re-encoded here: keys in dockerd 20.10's order,
// keys 20.10 does not have dropped, keys it has and moby lacks added with
// 20.10's value for them.

// field is one key of a JSON object in API 1.41's order.
type field struct {
	name      string
	omitEmpty bool    // omitted when empty, as with `json:",omitempty"`
	def       string  // JSON written when the source lacks the key; "" omits it
	obj       *object // the value is an object of this shape
	values    *object // the value maps keys to objects of this shape
}

type object []field

func f(name string) field { return field{name: name} }

// configShape is the key order of a container.Config in API 1.41.
var configShape = object{
	f("Hostname"), f("Domainname"), f("User"), f("AttachStdin"), f("AttachStdout"), f("AttachStderr"),
	{name: "ExposedPorts", omitEmpty: true}, f("Tty"), f("OpenStdin"), f("StdinOnce"), f("Env"), f("Cmd"),
	{name: "Healthcheck", omitEmpty: true}, {name: "ArgsEscaped", omitEmpty: true}, f("Image"), f("Volumes"),
	f("WorkingDir"), f("Entrypoint"), {name: "NetworkDisabled", omitEmpty: true}, {name: "MacAddress", omitEmpty: true},
	{name: "OnBuild", def: "null"}, f("Labels"), {name: "StopSignal", omitEmpty: true},
	{name: "StopTimeout", omitEmpty: true}, {name: "Shell", omitEmpty: true},
}

var hostConfigShape = object{
	f("Binds"), f("ContainerIDFile"), f("LogConfig"), f("NetworkMode"), f("PortBindings"), f("RestartPolicy"),
	f("AutoRemove"), f("VolumeDriver"), f("VolumesFrom"), f("CapAdd"), f("CapDrop"), f("CgroupnsMode"),
	f("Dns"), f("DnsOptions"), f("DnsSearch"), f("ExtraHosts"), f("GroupAdd"), f("IpcMode"), f("Cgroup"),
	f("Links"), f("OomScoreAdj"), f("PidMode"), f("Privileged"), f("PublishAllPorts"), f("ReadonlyRootfs"),
	f("SecurityOpt"), {name: "StorageOpt", omitEmpty: true}, {name: "Tmpfs", omitEmpty: true}, f("UTSMode"),
	f("UsernsMode"), f("ShmSize"), {name: "Sysctls", omitEmpty: true}, {name: "Runtime", omitEmpty: true},
	{name: "ConsoleSize", def: "[0,0]"}, f("Isolation"),
	// Resources
	f("CpuShares"), f("Memory"), f("NanoCpus"), f("CgroupParent"), f("BlkioWeight"), f("BlkioWeightDevice"),
	f("BlkioDeviceReadBps"), f("BlkioDeviceWriteBps"), f("BlkioDeviceReadIOps"), f("BlkioDeviceWriteIOps"),
	f("CpuPeriod"), f("CpuQuota"), f("CpuRealtimePeriod"), f("CpuRealtimeRuntime"), f("CpusetCpus"),
	f("CpusetMems"), f("Devices"), f("DeviceCgroupRules"), f("DeviceRequests"),
	{name: "KernelMemory", def: "0"}, {name: "KernelMemoryTCP", def: "0"}, f("MemoryReservation"),
	f("MemorySwap"), f("MemorySwappiness"), f("OomKillDisable"), f("PidsLimit"), f("Ulimits"),
	f("CpuCount"), f("CpuPercent"), f("IOMaximumIOps"), f("IOMaximumBandwidth"),
	// HostConfig again
	{name: "Mounts", omitEmpty: true}, f("MaskedPaths"), f("ReadonlyPaths"), {name: "Init", omitEmpty: true},
}

var endpointShape = object{
	f("IPAMConfig"), f("Links"), f("Aliases"), f("NetworkID"), f("EndpointID"), f("Gateway"), f("IPAddress"),
	f("IPPrefixLen"), f("IPv6Gateway"), f("GlobalIPv6Address"), f("GlobalIPv6PrefixLen"), f("MacAddress"),
	f("DriverOpts"),
}

var networkSettingsShape = object{
	f("Bridge"), f("SandboxID"), f("HairpinMode"), f("LinkLocalIPv6Address"), f("LinkLocalIPv6PrefixLen"),
	f("Ports"), f("SandboxKey"), f("SecondaryIPAddresses"), f("SecondaryIPv6Addresses"), f("EndpointID"),
	f("Gateway"), f("GlobalIPv6Address"), f("GlobalIPv6PrefixLen"), f("IPAddress"), f("IPPrefixLen"),
	f("IPv6Gateway"), f("MacAddress"), {name: "Networks", values: &endpointShape},
}

var containerShape = object{
	f("Id"), f("Created"), f("Path"), f("Args"), f("State"), f("Image"), f("ResolvConfPath"), f("HostnamePath"),
	f("HostsPath"), f("LogPath"), {name: "Node", omitEmpty: true}, f("Name"), f("RestartCount"), f("Driver"),
	f("Platform"), f("MountLabel"), f("ProcessLabel"), f("AppArmorProfile"), f("ExecIDs"),
	{name: "HostConfig", obj: &hostConfigShape}, {name: "GraphDriver", def: `{"Data":null,"Name":""}`}, {name: "SizeRw", omitEmpty: true},
	{name: "SizeRootFs", omitEmpty: true}, f("Mounts"), {name: "Config", obj: &configShape},
	{name: "NetworkSettings", obj: &networkSettingsShape},
}

// emptyConfig is a container.Config with nothing set, as dockerd 20.10
// shows the ContainerConfig of an image that has none.
const emptyConfig = `{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":null,"Cmd":null,"Image":"","Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":null}`

var imageShape = object{
	f("Id"), f("RepoTags"), f("RepoDigests"), f("Parent"), f("Comment"), f("Created"),
	{name: "Container", def: `""`}, {name: "ContainerConfig", def: emptyConfig, obj: &configShape},
	f("DockerVersion"), f("Author"), {name: "Config", obj: &configShape}, f("Architecture"),
	{name: "Variant", omitEmpty: true}, f("Os"), {name: "OsVersion", omitEmpty: true}, f("Size"),
	f("VirtualSize"), f("GraphDriver"), f("RootFS"), f("Metadata"),
}

// marshalPlain encodes v as dockerd's WriteJSON does, HTML characters
// unescaped, without a trailing newline.
func marshalPlain(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// reshape writes the JSON object raw with the keys of shape, in its order.
// A value that is not an object (null) is written as it is.
func reshape(buf *bytes.Buffer, raw json.RawMessage, shape object) error {
	if bytes.Equal(raw, []byte("null")) {
		buf.WriteString("null")
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("reshape: %w", err)
	}
	buf.WriteByte('{')
	first := true
	for _, fd := range shape {
		v, ok := m[fd.name]
		if !ok {
			if fd.def == "" {
				continue
			}
			v = json.RawMessage(fd.def)
		}
		if fd.omitEmpty && isEmpty(v) {
			continue
		}
		if !first {
			buf.WriteByte(',')
		}
		first = false
		name, _ := json.Marshal(fd.name)
		buf.Write(name)
		buf.WriteByte(':')
		var err error
		switch {
		case fd.obj != nil:
			err = reshape(buf, v, *fd.obj)
		case fd.values != nil:
			err = reshapeValues(buf, v, *fd.values)
		default:
			buf.Write(v)
		}
		if err != nil {
			return err
		}
	}
	buf.WriteByte('}')
	return nil
}

// reshapeValues writes the JSON object raw, whose values are objects of
// shape, with its keys sorted as encoding/json sorts map keys.
func reshapeValues(buf *bytes.Buffer, raw json.RawMessage, shape object) error {
	if bytes.Equal(raw, []byte("null")) {
		buf.WriteString("null")
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("reshape: %w", err)
	}
	buf.WriteByte('{')
	for i, k := range sortedKeys(m) {
		if i > 0 {
			buf.WriteByte(',')
		}
		name, _ := marshalPlain(k)
		buf.Write(name)
		buf.WriteByte(':')
		if err := reshape(buf, m[k], shape); err != nil {
			return err
		}
	}
	buf.WriteByte('}')
	return nil
}

func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func isEmpty(v json.RawMessage) bool {
	switch string(v) {
	case "null", `""`, "0", "false", "[]", "{}":
		return true
	}
	return false
}

// MarshalJSON encodes c as dockerd 20.10 does (see the note above).
func (c ContainerJSON) MarshalJSON() ([]byte, error) {
	type plain ContainerJSON
	raw, err := marshalPlain(plain(c))
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := reshape(&buf, raw, containerShape); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// MarshalJSON encodes i as dockerd 20.10 does (see the note above): its
// VirtualSize is its Size when not set.
func (i ImageInspect) MarshalJSON() ([]byte, error) {
	type plain ImageInspect
	p := plain(i)
	if p.VirtualSize == 0 {
		p.VirtualSize = p.Size
	}
	raw, err := marshalPlain(p)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := reshape(&buf, raw, imageShape); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
