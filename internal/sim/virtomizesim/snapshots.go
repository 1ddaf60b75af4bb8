package virtomizesim

import (
	"fmt"
	"strings"
)

func findSnap(v *vm, key int) *snapshot {
	for _, s := range v.Snapshots {
		if s.Key == key {
			return s
		}
	}
	return nil
}

// snapPath is the position of s in the snapshot tree, e.g. /base/after-update.
func snapPath(v *vm, s *snapshot) string {
	var names []string
	for cur, depth := s, 0; cur != nil && depth <= len(v.Snapshots); depth++ {
		names = append([]string{cur.Name}, names...)
		if cur.Parent == 0 {
			break
		}
		cur = findSnap(v, cur.Parent)
	}
	return "/" + strings.Join(names, "/")
}

func snapView(v *vm, s *snapshot) snapshotView {
	return snapshotView{VMKey: v.Key, Name: s.Name, Key: s.Key, ID: fmt.Sprintf("snapshot-%d-%d", v.Key, s.Key),
		Description: s.Description, CreationDate: s.Created, Path: snapPath(v, s), IsCurrent: v.CurrentSnapshot == s.Key}
}

func (c *call) snapTarget(vmKey int) (*vm, error) {
	return lookup(c.st.VMs, vmKey, "virtual machine")
}

func (c *call) snapOf(v *vm, key int) (*snapshot, error) {
	if s := findSnap(v, key); s != nil {
		return s, nil
	}
	return nil, notFound("snapshot %d of virtual machine %d not found", key, v.Key)
}

func hSnapList(c *call) (any, error) {
	v, err := c.snapTarget(c.key())
	if err != nil {
		return nil, err
	}
	out := []snapshotView{}
	for _, s := range v.Snapshots {
		out = append(out, snapView(v, s))
	}
	return out, nil
}

func hSnapGet(c *call) (any, error) {
	v, err := c.snapTarget(c.vmkey())
	if err != nil {
		return nil, err
	}
	s, err := c.snapOf(v, c.key())
	if err != nil {
		return nil, err
	}
	return snapView(v, s), nil
}

// hSnapCreate takes a snapshot of a deployed machine; it records the
// hardware and, with includememory on a running machine, the power state.
func hSnapCreate(c *call) (any, error) {
	v, err := c.snapTarget(c.vmkey())
	if err != nil {
		return nil, err
	}
	f := c.f
	name := f.str("name", true)
	desc := f.str("description", false)
	mem, _ := f.bool("includememory", false)
	if err := f.done(); err != nil {
		return nil, err
	}
	if !v.Deployed {
		return nil, conflict("virtual machine %d is not deployed", v.Key)
	}
	v.SnapSeq++
	s := &snapshot{Key: v.SnapSeq, Name: name, Description: desc, Created: c.now.UnixNano(), Parent: v.CurrentSnapshot,
		IncludeMemory: mem && v.PowerState == poweredOn, PowerState: v.PowerState, CPU: v.CPU, RAM: v.RAM, Disc: v.Disc}
	v.Snapshots = append(v.Snapshots, s)
	v.CurrentSnapshot = s.Key
	c.s.logf(c.now, "inventory", "info", fmt.Sprintf("snapshot %d of virtual machine %d taken", s.Key, v.Key))
	return snapView(v, s), nil
}

func hSnapUpdate(c *call) (any, error) {
	v, err := c.snapTarget(c.vmkey())
	if err != nil {
		return nil, err
	}
	s, err := c.snapOf(v, c.key())
	if err != nil {
		return nil, err
	}
	name, hasName := c.f.optStr("name")
	desc, hasDesc := c.f.optStr("description")
	if hasName && name == "" {
		c.f.fail("name", "must not be empty")
	}
	if err := c.f.done(); err != nil {
		return nil, err
	}
	if hasName {
		s.Name = name
	}
	if hasDesc {
		s.Description = desc
	}
	return okStatus("snapshot updated"), nil
}

// hSnapDelete removes a snapshot; its children move up to its parent, which
// also becomes current if the deleted snapshot was.
func hSnapDelete(c *call) (any, error) {
	v, err := c.snapTarget(c.vmkey())
	if err != nil {
		return nil, err
	}
	s, err := c.snapOf(v, c.key())
	if err != nil {
		return nil, err
	}
	keep := v.Snapshots[:0:0]
	for _, o := range v.Snapshots {
		if o.Key == s.Key {
			continue
		}
		if o.Parent == s.Key {
			o.Parent = s.Parent
		}
		keep = append(keep, o)
	}
	v.Snapshots = keep
	if v.CurrentSnapshot == s.Key {
		v.CurrentSnapshot = s.Parent
	}
	return okStatus("snapshot deleted"), nil
}

// hSnapRestore reverts the machine to a snapshot: its hardware returns to
// the recorded values and it is powered off unless memory was included.
func hSnapRestore(c *call) (any, error) {
	v, err := c.snapTarget(c.vmkey())
	if err != nil {
		return nil, err
	}
	s, err := c.snapOf(v, c.key())
	if err != nil {
		return nil, err
	}
	if v.Installing {
		return nil, conflict("virtual machine %d is being installed", v.Key)
	}
	v.CPU, v.RAM, v.Disc = s.CPU, s.RAM, s.Disc
	v.PowerState = poweredOff
	if s.IncludeMemory {
		v.PowerState = s.PowerState
	}
	v.CurrentSnapshot = s.Key
	c.s.logf(c.now, "inventory", "info", fmt.Sprintf("virtual machine %d reverted to snapshot %d", v.Key, s.Key))
	return okStatus("snapshot restored"), nil
}

// hSnapUpdateHardware stores the machine's current hardware in the listed
// snapshots, so that restoring them keeps it.
func hSnapUpdateHardware(c *call) (any, error) {
	v, err := c.snapTarget(c.vmkey())
	if err != nil {
		return nil, err
	}
	keys, _ := c.f.ints("keys", true)
	for _, k := range keys {
		if findSnap(v, k) == nil {
			c.f.fail("keys", "snapshot %d of virtual machine %d does not exist", k, v.Key)
			break
		}
	}
	if err := c.f.done(); err != nil {
		return nil, err
	}
	for _, k := range keys {
		s := findSnap(v, k)
		s.CPU, s.RAM, s.Disc = v.CPU, v.RAM, v.Disc
	}
	return okStatus(fmt.Sprintf("hardware applied to %d snapshots", len(keys))), nil
}
