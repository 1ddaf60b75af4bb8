package cmdutil

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/infractl/infra/pkg/api"
	"github.com/infractl/infra/pkg/download"
)

// RotateFlags are --dir and --keep of the backup commands: timestamped backups in a directory, the oldest beyond N
// removed once the new one is complete.
type RotateFlags struct {
	dir  string
	keep int
}

// RotateHelp is the help of --dir and --keep; PREFIX stands for the file name prefix.
const RotateHelp = `With --dir DIR --keep N the backup is saved as DIR/PREFIX-YYYYMMDDTHHMMSS.mmmZ.EXT (UTC), checked (complete against
Content-Length, not empty, renamed into place atomically), and only then are the oldest such files beyond N removed;
a failed download removes nothing. Other files in DIR are never touched. One line of JSON is printed on stdout
whatever happens, {"ok","file","bytes","kept","removed"} (with "error" when it failed), and the exit code is 0 only
when the backup was saved and the rotation done: suited to cron and systemd timers.`

func (r *RotateFlags) Register(fs *pflag.FlagSet) {
	fs.StringVar(&r.dir, "dir", "", "save a timestamped backup in `DIR` and rotate (with --keep)")
	fs.IntVar(&r.keep, "keep", 0, "with --dir, keep the newest `N` backups and remove older ones")
}

// Check validates the flags; active says whether a rotated backup was asked for.
func (r *RotateFlags) Check(fs *pflag.FlagSet) (active bool, err error) {
	changed := fs.Changed
	switch {
	case !changed("dir") && !changed("keep"):
		return false, nil
	case changed("keep") && !changed("dir"):
		return false, UsageErrorf("--keep goes with --dir")
	case changed("dir") && !changed("keep"):
		return false, UsageErrorf("--dir needs --keep N: how many backups to keep")
	case changed("file") || changed("force"):
		return false, UsageErrorf("--dir names the files itself: it does not go with --file or --force")
	}
	if err := r.rotation("").Check(); err != nil {
		return false, &api.UsageError{Err: err}
	}
	return true, nil
}

func (r *RotateFlags) rotation(prefix string) download.Rotation {
	return download.Rotation{Dir: r.dir, Prefix: prefix, Keep: r.keep}
}

// Run saves a backup with save (given the rotation to name the file), then rotates, and prints the summary line.
func (r *RotateFlags) Run(ctx context.Context, f *Factory, prefix string, save func(ctx context.Context, rot download.Rotation) (*download.Result, error)) error {
	rot := r.rotation(prefix)
	sum := &download.Rotated{Kept: []string{}, Removed: []string{}}
	res, err := save(ctx, rot)
	if err == nil {
		sum, err = rot.Prune(res)
	}
	if err != nil {
		sum.OK, sum.Error = false, err.Error()
	}
	b, jerr := json.Marshal(sum)
	if jerr != nil {
		return jerr
	}
	if _, perr := fmt.Fprintf(f.IO.Out, "%s\n", b); perr != nil && err == nil {
		err = perr
	}
	return err
}

// ProgressOut is where a byte progress bar goes: stderr on a terminal, nowhere otherwise.
func ProgressOut(f *Factory) io.Writer {
	if f.ShowProgress() {
		return f.IO.ErrOut
	}
	return nil
}
