package cmd

import (
	"bytes"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// bashFallbacks stand in for the bash-completion package's helpers when it is not installed (minimal systems,
// containers, macOS's bash 3): words as the shell split them, and files and directories from compgen.
const bashFallbacks = `
# Without the bash-completion package, _get_comp_words_by_ref and _filedir do not exist: minimal stand-ins.
__infra_comp_words()
{
    if declare -F _get_comp_words_by_ref >/dev/null 2>&1; then
        _get_comp_words_by_ref "$@"
        return
    fi
    cur="${COMP_WORDS[COMP_CWORD]}"
    prev="${COMP_WORDS[COMP_CWORD-1]}"
    words=("${COMP_WORDS[@]}")
    cword=$COMP_CWORD
}

__infra_filedir()
{
    if declare -F _filedir >/dev/null 2>&1; then
        _filedir "$@"
        return
    fi
    local IFS=$'\n'
    if [[ $1 == -d ]]; then
        COMPREPLY+=($(compgen -d -- "$cur"))
    else
        COMPREPLY+=($(compgen -f -- "$cur"))
    fi
}
`

// GenBashCompletion writes cobra's bash completion (V2, with descriptions), made to work without the bash-completion
// package too.
func GenBashCompletion(root *cobra.Command, w io.Writer) error {
	var b bytes.Buffer
	if err := root.GenBashCompletionV2(&b, true); err != nil {
		return err
	}
	s := strings.ReplaceAll(b.String(), "_filedir", "__infra_filedir")
	s = strings.Replace(s, `_get_comp_words_by_ref "$@" cur prev words cword`, `__infra_comp_words "$@" cur prev words cword`, 1)
	s = strings.Replace(s, "\n# Macs have bash3", bashFallbacks+"\n# Macs have bash3", 1)
	_, err := io.WriteString(w, s)
	return err
}
