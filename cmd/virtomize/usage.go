package virtomize

import "github.com/infractl/infra/pkg/cmdutil"

var usageErrorf = cmdutil.UsageErrorf
