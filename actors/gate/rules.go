package gate

// Rule ids name the rule behind every finding and every BLOCK. They are
// stable: logs, tests and callers may match on them.
const (
	// Decision-level rules.
	RuleAllow          = "fate.allow"           // every dimension and the composite passed
	RuleBelowThreshold = "fate.below-threshold" // only soft findings, but together below the tool threshold
	RuleHookDeny       = "hook.deny"            // a hook denied without naming a rule
	RuleHookPanic      = "hook.panic"           // a hook panicked; treated as a deny

	// Accountability.
	RuleNoRequester = "ctx.no-requester" // request context has no requester
	RuleNoSession   = "ctx.no-session"   // request context has no session id

	// Shell: transparency (obfuscation, unanalysable input).
	RuleShellParseError     = "shell.parse-error"
	RuleShellTooLong        = "shell.too-long"
	RuleShellTooDeep        = "shell.nesting-too-deep"
	RuleShellEmpty          = "shell.empty"
	RuleShellDynamicCommand = "shell.dynamic-command"
	RuleShellDynamicEval    = "shell.dynamic-eval"
	RuleShellExpandError    = "shell.expand-error"
	RuleShellUnicodeName    = "shell.unicode-command-name"
	RuleShellInvisibleChar  = "shell.invisible-char"
	RuleShellDecodeExec     = "shell.decode-exec"
	RuleShellHistoryTamper  = "shell.history-tamper"

	// Shell: ethics (dangerous operations).
	RuleShellPipeInterp     = "shell.pipe-to-interpreter"
	RuleShellDownloadExec   = "shell.download-exec"
	RuleShellProcSubstExec  = "shell.procsubst-exec"
	RuleShellInlineCodeExec = "shell.inline-code-exec"
	RuleShellDestructive    = "shell.destructive-path"
	RuleShellNoPreserveRoot = "shell.no-preserve-root"
	RuleShellDeviceWrite    = "shell.device-write"
	RuleShellDiskFormat     = "shell.disk-format"
	RuleShellSystemWrite    = "shell.system-path-write"
	RuleShellForkBomb       = "shell.fork-bomb"
	RuleShellPrivilege      = "shell.privilege-escalation"
	RuleShellSetuid         = "shell.setuid"
	RuleShellCredential     = "shell.credential-access"
	RuleShellNetUpload      = "shell.net-upload"
	RuleShellNetSocket      = "shell.net-socket"
	RuleShellDevTCP         = "shell.dev-tcp"
	RuleShellRemoteCopy     = "shell.remote-copy"
	RuleShellSystemPower    = "shell.system-power"
	RuleShellKillAll        = "shell.kill-all"
	RuleShellEnvHijack      = "shell.env-hijack"
	RuleShellNetFetch       = "shell.net-fetch" // soft: a plain download

	// Write / Edit.
	RuleContentTooLarge   = "content.too-large"
	RulePathMissing       = "path.missing"
	RulePathSystem        = "path.system"
	RulePathCredential    = "path.credential"
	RuleSecretPrivateKey  = "secret.private-key"
	RuleSecretAWS         = "secret.aws-access-key"
	RuleSecretGCPKey      = "secret.gcp-api-key"
	RuleSecretGCPAccount  = "secret.gcp-service-account"
	RuleSecretGitHub      = "secret.github-token"
	RuleSecretSlack       = "secret.slack-token"
	RuleSecretOpenAI      = "secret.openai-key"
	RuleSecretStripe      = "secret.stripe-key"
	RuleSecretHighEntropy = "secret.high-entropy-assignment"

	// WebFetch.
	RuleURLMalformed    = "url.malformed"
	RuleURLScheme       = "url.scheme"
	RuleURLUserinfo     = "url.userinfo"
	RuleURLLoopback     = "url.loopback"
	RuleURLLinkLocal    = "url.link-local"
	RuleURLPrivate      = "url.private"
	RuleURLMetadata     = "url.metadata"
	RuleURLReserved     = "url.reserved"
	RuleURLInternalName = "url.internal-name"
	RuleURLLoopbackDNS  = "url.loopback-alias"
)

// ruleInfo is what the scorer knows about a rule: the dimension it lowers
// and by how much (penalty in (0,1]; 1 zeroes the dimension).
type ruleInfo struct {
	dim     Dimension
	penalty float64
}

const (
	hard = 1.0  // zeroes the dimension: blocks under any threshold
	soft = 0.02 // a signal, not a block on its own
)

var rules = map[string]ruleInfo{
	RuleHookDeny:  {Ethics, hard},
	RuleHookPanic: {Accountability, hard},

	RuleNoRequester: {Accountability, soft},
	RuleNoSession:   {Accountability, soft},

	RuleShellParseError:     {Transparency, hard},
	RuleShellTooLong:        {Transparency, hard},
	RuleShellTooDeep:        {Transparency, hard},
	RuleShellEmpty:          {Transparency, hard},
	RuleShellDynamicCommand: {Transparency, hard},
	RuleShellDynamicEval:    {Transparency, hard},
	RuleShellExpandError:    {Transparency, hard},
	RuleShellUnicodeName:    {Transparency, hard},
	RuleShellInvisibleChar:  {Transparency, hard},
	RuleShellDecodeExec:     {Transparency, hard},
	RuleShellHistoryTamper:  {Accountability, hard},

	RuleShellPipeInterp:     {Ethics, hard},
	RuleShellDownloadExec:   {Ethics, hard},
	RuleShellProcSubstExec:  {Ethics, hard},
	RuleShellInlineCodeExec: {Ethics, hard},
	RuleShellDestructive:    {Ethics, hard},
	RuleShellNoPreserveRoot: {Ethics, hard},
	RuleShellDeviceWrite:    {Ethics, hard},
	RuleShellDiskFormat:     {Ethics, hard},
	RuleShellSystemWrite:    {Ethics, hard},
	RuleShellForkBomb:       {Ethics, hard},
	RuleShellPrivilege:      {Ethics, hard},
	RuleShellSetuid:         {Ethics, hard},
	RuleShellCredential:     {Fidelity, hard},
	RuleShellNetUpload:      {Ethics, hard},
	RuleShellNetSocket:      {Ethics, hard},
	RuleShellDevTCP:         {Ethics, hard},
	RuleShellRemoteCopy:     {Ethics, hard},
	RuleShellSystemPower:    {Ethics, hard},
	RuleShellKillAll:        {Ethics, hard},
	RuleShellEnvHijack:      {Ethics, hard},
	RuleShellNetFetch:       {Ethics, 0.01},

	RuleContentTooLarge:   {Transparency, hard},
	RulePathMissing:       {Transparency, hard},
	RulePathSystem:        {Ethics, hard},
	RulePathCredential:    {Fidelity, hard},
	RuleSecretPrivateKey:  {Fidelity, hard},
	RuleSecretAWS:         {Fidelity, hard},
	RuleSecretGCPKey:      {Fidelity, hard},
	RuleSecretGCPAccount:  {Fidelity, hard},
	RuleSecretGitHub:      {Fidelity, hard},
	RuleSecretSlack:       {Fidelity, hard},
	RuleSecretOpenAI:      {Fidelity, hard},
	RuleSecretStripe:      {Fidelity, hard},
	RuleSecretHighEntropy: {Fidelity, hard},

	RuleURLMalformed:    {Transparency, hard},
	RuleURLScheme:       {Ethics, hard},
	RuleURLUserinfo:     {Fidelity, hard},
	RuleURLLoopback:     {Ethics, hard},
	RuleURLLinkLocal:    {Ethics, hard},
	RuleURLPrivate:      {Ethics, hard},
	RuleURLMetadata:     {Ethics, hard},
	RuleURLReserved:     {Ethics, hard},
	RuleURLInternalName: {Ethics, hard},
	RuleURLLoopbackDNS:  {Ethics, hard},
}

// RuleIDs returns every rule id a finding can carry, plus the decision-level
// ids RuleAllow and RuleBelowThreshold.
func RuleIDs() []string {
	ids := make([]string, 0, len(rules)+2)
	ids = append(ids, RuleAllow, RuleBelowThreshold)
	for id := range rules {
		ids = append(ids, id)
	}
	sortStrings(ids)
	return ids
}
