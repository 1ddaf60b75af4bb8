package pra

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/infractl/infra/pkg/api/pra"
	"github.com/infractl/infra/pkg/cmdutil"
	"github.com/infractl/infra/pkg/download"
)

// fileTarget is where a downloaded file goes: -f PATH (file or directory), - for stdout, --force to replace.
type fileTarget struct {
	path  string
	force bool
}

func (t *fileTarget) flags(c *cobra.Command, what string) {
	c.Flags().StringVarP(&t.path, "file", "f", "", "save "+what+" to `PATH` (a file or directory; - for stdout); default: the appliance's file name in the current directory")
	c.Flags().BoolVar(&t.force, "force", false, "replace an existing file")
}

// namesFile reports whether -f names a file (not stdout, not a directory where the appliance's name is used).
func (t *fileTarget) namesFile() bool {
	if t.path == "" || t.path == "-" || strings.HasSuffix(t.path, "/") || strings.HasSuffix(t.path, string(os.PathSeparator)) {
		return false
	}
	st, err := os.Stat(t.path)
	return err != nil || !st.IsDir()
}

// precheck fails before anything is sent when a named target file exists and --force is not set.
func (t *fileTarget) precheck() error {
	if t.path == "" || t.path == "-" {
		return nil
	}
	if strings.HasSuffix(t.path, "/") || strings.HasSuffix(t.path, string(os.PathSeparator)) {
		if st, err := os.Stat(t.path); err != nil || !st.IsDir() {
			return usageErrorf("-f %s: no such directory", t.path)
		}
		return nil
	}
	if st, err := os.Stat(t.path); err == nil && st.IsDir() {
		return nil // the file name comes from the appliance; Save checks it
	}
	if _, err := download.Check(download.Options{Path: t.path, Force: t.force}); err != nil {
		return err
	}
	return nil
}

// save streams file to its target and prints {"file", "bytes"} (nothing when writing to stdout). The body is never
// held in memory: it goes through pkg/download (temporary file, fsync, rename, Content-Length check).
func (t *fileTarget) save(ctx context.Context, f *cmdutil.Factory, file *pra.File, label string) (*download.Result, error) {
	defer file.Close()
	if t.path == "-" {
		n, err := io.Copy(f.IO.Out, file.Body)
		if err != nil {
			return nil, fmt.Errorf("%s interrupted after %d bytes: %w", label, n, err)
		}
		if file.Size >= 0 && n != file.Size {
			return nil, fmt.Errorf("%s incomplete: got %d of %d bytes", label, n, file.Size)
		}
		return &download.Result{File: "-", Bytes: n}, nil
	}
	name := download.Sanitize(file.Name)
	o := download.Options{Path: t.path, Name: name, Force: t.force, Size: file.Size, Label: label, Progress: cmdutil.ProgressOut(f)}
	res, err := download.Save(ctx, file.Body, o)
	if err != nil {
		return nil, err
	}
	if err := f.Print(res, []string{"file", "bytes"}); err != nil {
		return nil, err
	}
	return res, nil
}

func newPRABackupCmd(f *cmdutil.Factory) *cobra.Command {
	var t fileTarget
	var rf cmdutil.RotateFlags
	cmd := &cobra.Command{
		Use:   "backup",
		Short: "Download a backup of the appliance's configuration (backup API)",
		Long: `Download a backup of the appliance's software configuration: settings and logged data, without recordings
and large files from the file store. The API account needs access to the backup API.

The backup is streamed to disk in constant memory: written to a temporary file beside the target, checked against the
Content-Length the appliance announced, synced and renamed into place only when complete. An existing file is not
replaced without --force. A progress bar is shown when stderr is a terminal. The saved path and size are printed
({"file", "bytes"} with -o json).

` + strings.ReplaceAll(cmdutil.RotateHelp, "PREFIX", "pra-backup"),
		Example: "  infra pra backup\n  infra pra backup -f /var/backups/pra/ \n  infra pra backup -f pra.nsb --force\n  infra pra backup -f - | gpg -e -r ops > pra.nsb.gpg\n  infra pra backup --dir /var/backups/pra --keep 14",
		Args:    noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			rotated, err := rf.Check(c.Flags())
			if err != nil {
				return err
			}
			if err := t.precheck(); err != nil {
				return err
			}
			return praRun(f, func(ctx context.Context, cl *pra.Client, _ *cobra.Command, _ []string) error {
				if rotated {
					return rf.Run(ctx, f, "pra-backup", func(ctx context.Context, rot download.Rotation) (*download.Result, error) {
						file, err := cl.Backup(ctx)
						if err != nil {
							return nil, err
						}
						defer file.Close()
						return download.Save(ctx, file.Body, download.Options{Path: rot.Dir, Name: rot.Name(download.Ext(download.Sanitize(file.Name))),
							Size: file.Size, NonEmpty: true, Label: "backup", Progress: cmdutil.ProgressOut(f)})
					})
				}
				file, err := cl.Backup(ctx)
				if err != nil {
					return err
				}
				_, err = t.save(ctx, f, file, "backup")
				return err
			})(c, nil)
		},
	}
	t.flags(cmd, "the backup")
	rf.Register(cmd.Flags())
	return cmd
}
