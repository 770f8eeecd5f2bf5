
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'skiff' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'skiff'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'skiff' {
            [CompletionResult]::new('--command-timeout', '--command-timeout', [CompletionResultType]::ParameterName, 'give up on the command after DURATION')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'fail and retry a registry request after DURATION without any data moving (default 60s, 0 for never)')
            [CompletionResult]::new('--override-arch', '--override-arch', [CompletionResultType]::ParameterName, 'choose images for ARCH instead of this machine''s architecture')
            [CompletionResult]::new('--override-os', '--override-os', [CompletionResultType]::ParameterName, 'choose images for OS instead of this machine''s OS')
            [CompletionResult]::new('--override-variant', '--override-variant', [CompletionResultType]::ParameterName, 'choose images for VARIANT instead of this machine''s architecture variant')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'path of the trust policy file')
            [CompletionResult]::new('--registries.d', '--registries.d', [CompletionResultType]::ParameterName, 'read registry configuration (e.g. signature storage) from DIR')
            [CompletionResult]::new('--registries-conf', '--registries-conf', [CompletionResultType]::ParameterName, 'registries-conf')
            [CompletionResult]::new('--tmpdir', '--tmpdir', [CompletionResultType]::ParameterName, 'directory for temporary files')
            [CompletionResult]::new('--tls-details', '--tls-details', [CompletionResultType]::ParameterName, 'path to a containers-tls-details.yaml file (minimum TLS version, cipher suites, named groups)')
            [CompletionResult]::new('--user-agent-prefix', '--user-agent-prefix', [CompletionResultType]::ParameterName, 'prefix to add to the User-Agent of registry requests')
            [CompletionResult]::new('--tls-verify', '--tls-verify', [CompletionResultType]::ParameterName, 'Deprecated in skopeo: kept so old scripts still parse')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'print debugging information')
            [CompletionResult]::new('--insecure-policy', '--insecure-policy', [CompletionResultType]::ParameterName, 'do not consult the trust policy')
            [CompletionResult]::new('--require-signed', '--require-signed', [CompletionResultType]::ParameterName, 'require any pulled image to be signed, whatever the trust policy says')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'print the version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'print the version')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('completion', 'completion', [CompletionResultType]::ParameterValue, 'Generate the shell completion script for bash, fish, powershell or zsh')
            [CompletionResult]::new('copy', 'copy', [CompletionResultType]::ParameterValue, 'Copy an IMAGE-NAME from one location to another')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete image IMAGE-NAME')
            [CompletionResult]::new('experimental-image-proxy', 'experimental-image-proxy', [CompletionResultType]::ParameterValue, 'Interactive proxy for fetching container images (EXPERIMENTAL)')
            [CompletionResult]::new('generate-sigstore-key', 'generate-sigstore-key', [CompletionResultType]::ParameterValue, 'Generate a sigstore public/private key pair')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Inspect image IMAGE-NAME')
            [CompletionResult]::new('layers', 'layers', [CompletionResultType]::ParameterValue, 'Get layers of IMAGE-NAME (deprecated in skopeo in favor of copy)')
            [CompletionResult]::new('list-repos', 'list-repos', [CompletionResultType]::ParameterValue, 'List the repositories of a registry (not in skopeo)')
            [CompletionResult]::new('list-tags', 'list-tags', [CompletionResultType]::ParameterValue, 'List the tags of the repository or archive SOURCE-IMAGE')
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Log in to a container registry')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'Log out of a container registry')
            [CompletionResult]::new('manifest-digest', 'manifest-digest', [CompletionResultType]::ParameterValue, 'Compute the manifest digest of a file')
            [CompletionResult]::new('standalone-sign', 'standalone-sign', [CompletionResultType]::ParameterValue, 'Create a signature using local files')
            [CompletionResult]::new('standalone-verify', 'standalone-verify', [CompletionResultType]::ParameterValue, 'Verify a signature using local files')
            [CompletionResult]::new('sync', 'sync', [CompletionResultType]::ParameterValue, 'Synchronize one or more images from one location to another')
            [CompletionResult]::new('untrusted-signature-dump-without-verification', 'untrusted-signature-dump-without-verification', [CompletionResultType]::ParameterValue, 'Dump contents of a signature WITHOUT VERIFYING IT')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'skiff;completion' {
            [CompletionResult]::new('--command-timeout', '--command-timeout', [CompletionResultType]::ParameterName, 'give up on the command after DURATION')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'fail and retry a registry request after DURATION without any data moving (default 60s, 0 for never)')
            [CompletionResult]::new('--override-arch', '--override-arch', [CompletionResultType]::ParameterName, 'choose images for ARCH instead of this machine''s architecture')
            [CompletionResult]::new('--override-os', '--override-os', [CompletionResultType]::ParameterName, 'choose images for OS instead of this machine''s OS')
            [CompletionResult]::new('--override-variant', '--override-variant', [CompletionResultType]::ParameterName, 'choose images for VARIANT instead of this machine''s architecture variant')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'path of the trust policy file')
            [CompletionResult]::new('--registries.d', '--registries.d', [CompletionResultType]::ParameterName, 'read registry configuration (e.g. signature storage) from DIR')
            [CompletionResult]::new('--registries-conf', '--registries-conf', [CompletionResultType]::ParameterName, 'registries-conf')
            [CompletionResult]::new('--tmpdir', '--tmpdir', [CompletionResultType]::ParameterName, 'directory for temporary files')
            [CompletionResult]::new('--tls-details', '--tls-details', [CompletionResultType]::ParameterName, 'path to a containers-tls-details.yaml file (minimum TLS version, cipher suites, named groups)')
            [CompletionResult]::new('--user-agent-prefix', '--user-agent-prefix', [CompletionResultType]::ParameterName, 'prefix to add to the User-Agent of registry requests')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'print debugging information')
            [CompletionResult]::new('--insecure-policy', '--insecure-policy', [CompletionResultType]::ParameterName, 'do not consult the trust policy')
            [CompletionResult]::new('--require-signed', '--require-signed', [CompletionResultType]::ParameterName, 'require any pulled image to be signed, whatever the trust policy says')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('bash', 'bash', [CompletionResultType]::ParameterValue, 'Generate the completion script for bash')
            [CompletionResult]::new('fish', 'fish', [CompletionResultType]::ParameterValue, 'Generate the completion script for fish')
            [CompletionResult]::new('powershell', 'powershell', [CompletionResultType]::ParameterValue, 'Generate the completion script for powershell')
            [CompletionResult]::new('zsh', 'zsh', [CompletionResultType]::ParameterValue, 'Generate the completion script for zsh')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'skiff;completion;bash' {
            [CompletionResult]::new('--command-timeout', '--command-timeout', [CompletionResultType]::ParameterName, 'give up on the command after DURATION')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'fail and retry a registry request after DURATION without any data moving (default 60s, 0 for never)')
            [CompletionResult]::new('--override-arch', '--override-arch', [CompletionResultType]::ParameterName, 'choose images for ARCH instead of this machine''s architecture')
            [CompletionResult]::new('--override-os', '--override-os', [CompletionResultType]::ParameterName, 'choose images for OS instead of this machine''s OS')
            [CompletionResult]::new('--override-variant', '--override-variant', [CompletionResultType]::ParameterName, 'choose images for VARIANT instead of this machine''s architecture variant')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'path of the trust policy file')
            [CompletionResult]::new('--registries.d', '--registries.d', [CompletionResultType]::ParameterName, 'read registry configuration (e.g. signature storage) from DIR')
            [CompletionResult]::new('--registries-conf', '--registries-conf', [CompletionResultType]::ParameterName, 'registries-conf')
            [CompletionResult]::new('--tmpdir', '--tmpdir', [CompletionResultType]::ParameterName, 'directory for temporary files')
            [CompletionResult]::new('--tls-details', '--tls-details', [CompletionResultType]::ParameterName, 'path to a containers-tls-details.yaml file (minimum TLS version, cipher suites, named groups)')
            [CompletionResult]::new('--user-agent-prefix', '--user-agent-prefix', [CompletionResultType]::ParameterName, 'prefix to add to the User-Agent of registry requests')
            [CompletionResult]::new('--no-descriptions', '--no-descriptions', [CompletionResultType]::ParameterName, 'disable completion descriptions')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'print debugging information')
            [CompletionResult]::new('--insecure-policy', '--insecure-policy', [CompletionResultType]::ParameterName, 'do not consult the trust policy')
            [CompletionResult]::new('--require-signed', '--require-signed', [CompletionResultType]::ParameterName, 'require any pulled image to be signed, whatever the trust policy says')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'skiff;completion;fish' {
            [CompletionResult]::new('--command-timeout', '--command-timeout', [CompletionResultType]::ParameterName, 'give up on the command after DURATION')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'fail and retry a registry request after DURATION without any data moving (default 60s, 0 for never)')
            [CompletionResult]::new('--override-arch', '--override-arch', [CompletionResultType]::ParameterName, 'choose images for ARCH instead of this machine''s architecture')
            [CompletionResult]::new('--override-os', '--override-os', [CompletionResultType]::ParameterName, 'choose images for OS instead of this machine''s OS')
            [CompletionResult]::new('--override-variant', '--override-variant', [CompletionResultType]::ParameterName, 'choose images for VARIANT instead of this machine''s architecture variant')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'path of the trust policy file')
            [CompletionResult]::new('--registries.d', '--registries.d', [CompletionResultType]::ParameterName, 'read registry configuration (e.g. signature storage) from DIR')
            [CompletionResult]::new('--registries-conf', '--registries-conf', [CompletionResultType]::ParameterName, 'registries-conf')
            [CompletionResult]::new('--tmpdir', '--tmpdir', [CompletionResultType]::ParameterName, 'directory for temporary files')
            [CompletionResult]::new('--tls-details', '--tls-details', [CompletionResultType]::ParameterName, 'path to a containers-tls-details.yaml file (minimum TLS version, cipher suites, named groups)')
            [CompletionResult]::new('--user-agent-prefix', '--user-agent-prefix', [CompletionResultType]::ParameterName, 'prefix to add to the User-Agent of registry requests')
            [CompletionResult]::new('--no-descriptions', '--no-descriptions', [CompletionResultType]::ParameterName, 'disable completion descriptions')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'print debugging information')
            [CompletionResult]::new('--insecure-policy', '--insecure-policy', [CompletionResultType]::ParameterName, 'do not consult the trust policy')
            [CompletionResult]::new('--require-signed', '--require-signed', [CompletionResultType]::ParameterName, 'require any pulled image to be signed, whatever the trust policy says')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'skiff;completion;powershell' {
            [CompletionResult]::new('--command-timeout', '--command-timeout', [CompletionResultType]::ParameterName, 'give up on the command after DURATION')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'fail and retry a registry request after DURATION without any data moving (default 60s, 0 for never)')
            [CompletionResult]::new('--override-arch', '--override-arch', [CompletionResultType]::ParameterName, 'choose images for ARCH instead of this machine''s architecture')
            [CompletionResult]::new('--override-os', '--override-os', [CompletionResultType]::ParameterName, 'choose images for OS instead of this machine''s OS')
            [CompletionResult]::new('--override-variant', '--override-variant', [CompletionResultType]::ParameterName, 'choose images for VARIANT instead of this machine''s architecture variant')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'path of the trust policy file')
            [CompletionResult]::new('--registries.d', '--registries.d', [CompletionResultType]::ParameterName, 'read registry configuration (e.g. signature storage) from DIR')
            [CompletionResult]::new('--registries-conf', '--registries-conf', [CompletionResultType]::ParameterName, 'registries-conf')
            [CompletionResult]::new('--tmpdir', '--tmpdir', [CompletionResultType]::ParameterName, 'directory for temporary files')
            [CompletionResult]::new('--tls-details', '--tls-details', [CompletionResultType]::ParameterName, 'path to a containers-tls-details.yaml file (minimum TLS version, cipher suites, named groups)')
            [CompletionResult]::new('--user-agent-prefix', '--user-agent-prefix', [CompletionResultType]::ParameterName, 'prefix to add to the User-Agent of registry requests')
            [CompletionResult]::new('--no-descriptions', '--no-descriptions', [CompletionResultType]::ParameterName, 'disable completion descriptions')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'print debugging information')
            [CompletionResult]::new('--insecure-policy', '--insecure-policy', [CompletionResultType]::ParameterName, 'do not consult the trust policy')
            [CompletionResult]::new('--require-signed', '--require-signed', [CompletionResultType]::ParameterName, 'require any pulled image to be signed, whatever the trust policy says')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'skiff;completion;zsh' {
            [CompletionResult]::new('--command-timeout', '--command-timeout', [CompletionResultType]::ParameterName, 'give up on the command after DURATION')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'fail and retry a registry request after DURATION without any data moving (default 60s, 0 for never)')
            [CompletionResult]::new('--override-arch', '--override-arch', [CompletionResultType]::ParameterName, 'choose images for ARCH instead of this machine''s architecture')
            [CompletionResult]::new('--override-os', '--override-os', [CompletionResultType]::ParameterName, 'choose images for OS instead of this machine''s OS')
            [CompletionResult]::new('--override-variant', '--override-variant', [CompletionResultType]::ParameterName, 'choose images for VARIANT instead of this machine''s architecture variant')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'path of the trust policy file')
            [CompletionResult]::new('--registries.d', '--registries.d', [CompletionResultType]::ParameterName, 'read registry configuration (e.g. signature storage) from DIR')
            [CompletionResult]::new('--registries-conf', '--registries-conf', [CompletionResultType]::ParameterName, 'registries-conf')
            [CompletionResult]::new('--tmpdir', '--tmpdir', [CompletionResultType]::ParameterName, 'directory for temporary files')
            [CompletionResult]::new('--tls-details', '--tls-details', [CompletionResultType]::ParameterName, 'path to a containers-tls-details.yaml file (minimum TLS version, cipher suites, named groups)')
            [CompletionResult]::new('--user-agent-prefix', '--user-agent-prefix', [CompletionResultType]::ParameterName, 'prefix to add to the User-Agent of registry requests')
            [CompletionResult]::new('--no-descriptions', '--no-descriptions', [CompletionResultType]::ParameterName, 'disable completion descriptions')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'print debugging information')
            [CompletionResult]::new('--insecure-policy', '--insecure-policy', [CompletionResultType]::ParameterName, 'do not consult the trust policy')
            [CompletionResult]::new('--require-signed', '--require-signed', [CompletionResultType]::ParameterName, 'require any pulled image to be signed, whatever the trust policy says')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'skiff;completion;help' {
            [CompletionResult]::new('bash', 'bash', [CompletionResultType]::ParameterValue, 'Generate the completion script for bash')
            [CompletionResult]::new('fish', 'fish', [CompletionResultType]::ParameterValue, 'Generate the completion script for fish')
            [CompletionResult]::new('powershell', 'powershell', [CompletionResultType]::ParameterValue, 'Generate the completion script for powershell')
            [CompletionResult]::new('zsh', 'zsh', [CompletionResultType]::ParameterValue, 'Generate the completion script for zsh')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'skiff;completion;help;bash' {
            break
        }
        'skiff;completion;help;fish' {
            break
        }
        'skiff;completion;help;powershell' {
            break
        }
        'skiff;completion;help;zsh' {
            break
        }
        'skiff;completion;help;help' {
            break
        }
        'skiff;copy' {
            [CompletionResult]::new('--authfile', '--authfile', [CompletionResultType]::ParameterName, 'path of the registry credentials file (default ${XDG_RUNTIME_DIR}/containers/auth.json)')
            [CompletionResult]::new('--src-authfile', '--src-authfile', [CompletionResultType]::ParameterName, 'path of the registry credentials file (source)')
            [CompletionResult]::new('--dest-authfile', '--dest-authfile', [CompletionResultType]::ParameterName, 'path of the registry credentials file (destination)')
            [CompletionResult]::new('--src-creds', '--src-creds', [CompletionResultType]::ParameterName, 'Use USERNAME[:PASSWORD] to access the registry (source)')
            [CompletionResult]::new('--src-username', '--src-username', [CompletionResultType]::ParameterName, 'username to access the registry (source)')
            [CompletionResult]::new('--src-password', '--src-password', [CompletionResultType]::ParameterName, 'password to access the registry (source)')
            [CompletionResult]::new('--src-registry-token', '--src-registry-token', [CompletionResultType]::ParameterName, 'a Bearer token to access the registry (source)')
            [CompletionResult]::new('--src-cert-dir', '--src-cert-dir', [CompletionResultType]::ParameterName, 'use certificates at PATH (*.crt, *.cert, *.key) to reach the registry or daemon (source)')
            [CompletionResult]::new('--src-tls-verify', '--src-tls-verify', [CompletionResultType]::ParameterName, 'require HTTPS and verify certificates when talking to the registry or daemon (source)')
            [CompletionResult]::new('--src-shared-blob-dir', '--src-shared-blob-dir', [CompletionResultType]::ParameterName, 'DIRECTORY shared by OCI layouts for their blobs (source)')
            [CompletionResult]::new('--src-daemon-host', '--src-daemon-host', [CompletionResultType]::ParameterName, 'use the docker daemon at HOST (docker-daemon: only) (source)')
            [CompletionResult]::new('--dest-creds', '--dest-creds', [CompletionResultType]::ParameterName, 'Use USERNAME[:PASSWORD] to access the registry (destination)')
            [CompletionResult]::new('--dest-username', '--dest-username', [CompletionResultType]::ParameterName, 'username to access the registry (destination)')
            [CompletionResult]::new('--dest-password', '--dest-password', [CompletionResultType]::ParameterName, 'password to access the registry (destination)')
            [CompletionResult]::new('--dest-registry-token', '--dest-registry-token', [CompletionResultType]::ParameterName, 'a Bearer token to access the registry (destination)')
            [CompletionResult]::new('--dest-cert-dir', '--dest-cert-dir', [CompletionResultType]::ParameterName, 'use certificates at PATH (*.crt, *.cert, *.key) to reach the registry or daemon (destination)')
            [CompletionResult]::new('--dest-tls-verify', '--dest-tls-verify', [CompletionResultType]::ParameterName, 'require HTTPS and verify certificates when talking to the registry or daemon (destination)')
            [CompletionResult]::new('--dest-shared-blob-dir', '--dest-shared-blob-dir', [CompletionResultType]::ParameterName, 'DIRECTORY shared by OCI layouts for their blobs (destination)')
            [CompletionResult]::new('--dest-daemon-host', '--dest-daemon-host', [CompletionResultType]::ParameterName, 'use the docker daemon at HOST (docker-daemon: only) (destination)')
            [CompletionResult]::new('--dest-compress-format', '--dest-compress-format', [CompletionResultType]::ParameterName, 'compression FORMAT for layers (gzip, zstd, zstd:chunked)')
            [CompletionResult]::new('--dest-compress-level', '--dest-compress-level', [CompletionResultType]::ParameterName, 'compression LEVEL')
            [CompletionResult]::new('--tls-verify', '--tls-verify', [CompletionResultType]::ParameterName, 'tls-verify')
            [CompletionResult]::new('--retry-times', '--retry-times', [CompletionResultType]::ParameterName, 'how many times to retry a failed operation')
            [CompletionResult]::new('--retry-delay', '--retry-delay', [CompletionResultType]::ParameterName, 'fixed delay between retries (default: exponential backoff)')
            [CompletionResult]::new('--sign-by', '--sign-by', [CompletionResultType]::ParameterName, 'sign the image with the GPG key FINGERPRINT')
            [CompletionResult]::new('--sign-by-sq-fingerprint', '--sign-by-sq-fingerprint', [CompletionResultType]::ParameterName, 'sign the image with the Sequoia-PGP key FINGERPRINT (from the Sequoia home: SEQUOIA_HOME, else the default)')
            [CompletionResult]::new('--sign-by-sigstore', '--sign-by-sigstore', [CompletionResultType]::ParameterName, 'sign the image using the sigstore parameter file PATH (a private key, or Fulcio with a static OIDC token; optionally Rekor)')
            [CompletionResult]::new('--sign-by-sigstore-private-key', '--sign-by-sigstore-private-key', [CompletionResultType]::ParameterName, 'sign the image with the sigstore private key at PATH')
            [CompletionResult]::new('--sign-passphrase-file', '--sign-passphrase-file', [CompletionResultType]::ParameterName, 'read the signing key''s passphrase from PATH')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'manifest type (oci, v2s1, or v2s2) for the destination (default: the source''s, with fallbacks)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'manifest type (oci, v2s1, or v2s2) for the destination (default: the source''s, with fallbacks)')
            [CompletionResult]::new('--referrers-artifact-type', '--referrers-artifact-type', [CompletionResultType]::ParameterName, 'with --referrers, only referrers of this artifact type (repeatable; not in skopeo)')
            [CompletionResult]::new('--additional-tag', '--additional-tag', [CompletionResultType]::ParameterName, 'additional tags (docker-archive destinations)')
            [CompletionResult]::new('--progress', '--progress', [CompletionResultType]::ParameterName, 'progress on stderr: auto (bars on a terminal, lines elsewhere), plain (lines), or json (one object per event)')
            [CompletionResult]::new('--progress-interval', '--progress-interval', [CompletionResultType]::ParameterName, 'how often a line shows each active blob''s progress off a terminal (default 30s; 1s with --progress=json); 0 turns it off')
            [CompletionResult]::new('--multi-arch', '--multi-arch', [CompletionResultType]::ParameterName, 'how to copy a multi-architecture image: system, all, index-only, or a list of platforms os/arch[/variant],...')
            [CompletionResult]::new('--sign-identity', '--sign-identity', [CompletionResultType]::ParameterName, 'identity the signature names (default: the destination''s docker reference)')
            [CompletionResult]::new('--digestfile', '--digestfile', [CompletionResultType]::ParameterName, 'write the digest of the copied manifest to PATH')
            [CompletionResult]::new('--report', '--report', [CompletionResultType]::ParameterName, 'write a JSON report of the copy (source, destination, digest, result, bytes, duration) to FILE (- for stdout; not in skopeo)')
            [CompletionResult]::new('--encryption-key', '--encryption-key', [CompletionResultType]::ParameterName, '*Experimental* recipient to encrypt layers for: jwe:PUBLIC-KEY.pem (an RSA or P-256 key), pkcs7:CERT.pem (an RSA certificate) or pgp:NAME-OR-EMAIL (in the GnuPG key ring); repeatable')
            [CompletionResult]::new('--encrypt-layer', '--encrypt-layer', [CompletionResultType]::ParameterName, '*Experimental* index of a layer to encrypt (0 is the first, -1 the last; repeatable; default: every layer)')
            [CompletionResult]::new('--decryption-key', '--decryption-key', [CompletionResultType]::ParameterName, '*Experimental* key to decrypt layers with: KEY.pem (RSA or P-256), CERT.pem (beside a pkcs7 key) or a GnuPG secret key ring, each FILE[:PASSPHRASE]; repeatable')
            [CompletionResult]::new('--image-parallel-copies', '--image-parallel-copies', [CompletionResultType]::ParameterName, 'how many layers to copy at once (default 6)')
            [CompletionResult]::new('--command-timeout', '--command-timeout', [CompletionResultType]::ParameterName, 'give up on the command after DURATION')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'fail and retry a registry request after DURATION without any data moving (default 60s, 0 for never)')
            [CompletionResult]::new('--override-arch', '--override-arch', [CompletionResultType]::ParameterName, 'choose images for ARCH instead of this machine''s architecture')
            [CompletionResult]::new('--override-os', '--override-os', [CompletionResultType]::ParameterName, 'choose images for OS instead of this machine''s OS')
            [CompletionResult]::new('--override-variant', '--override-variant', [CompletionResultType]::ParameterName, 'choose images for VARIANT instead of this machine''s architecture variant')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'path of the trust policy file')
            [CompletionResult]::new('--registries.d', '--registries.d', [CompletionResultType]::ParameterName, 'read registry configuration (e.g. signature storage) from DIR')
            [CompletionResult]::new('--registries-conf', '--registries-conf', [CompletionResultType]::ParameterName, 'registries-conf')
            [CompletionResult]::new('--tmpdir', '--tmpdir', [CompletionResultType]::ParameterName, 'directory for temporary files')
            [CompletionResult]::new('--tls-details', '--tls-details', [CompletionResultType]::ParameterName, 'path to a containers-tls-details.yaml file (minimum TLS version, cipher suites, named groups)')
            [CompletionResult]::new('--user-agent-prefix', '--user-agent-prefix', [CompletionResultType]::ParameterName, 'prefix to add to the User-Agent of registry requests')
            [CompletionResult]::new('--src-no-creds', '--src-no-creds', [CompletionResultType]::ParameterName, 'access the registry anonymously (source)')
            [CompletionResult]::new('--dest-no-creds', '--dest-no-creds', [CompletionResultType]::ParameterName, 'access the registry anonymously (destination)')
            [CompletionResult]::new('--dest-compress', '--dest-compress', [CompletionResultType]::ParameterName, 'compress layers when writing to a ''dir'' destination (default: as the source)')
            [CompletionResult]::new('--dest-decompress', '--dest-decompress', [CompletionResultType]::ParameterName, 'decompress layers when writing to a ''dir'' destination (default: as the source)')
            [CompletionResult]::new('--dest-oci-accept-uncompressed-layers', '--dest-oci-accept-uncompressed-layers', [CompletionResultType]::ParameterName, 'keep uncompressed layers uncompressed in an ''oci'' destination (default: compress them)')
            [CompletionResult]::new('--dest-precompute-digests', '--dest-precompute-digests', [CompletionResultType]::ParameterName, 'compute layer digests before uploading, to skip layers the registry has (''docker'' only)')
            [CompletionResult]::new('--dest-force-compress-format', '--dest-force-compress-format', [CompletionResultType]::ParameterName, 'use only the --dest-compress-format algorithm, recompressing layers as needed')
            [CompletionResult]::new('--remove-signatures', '--remove-signatures', [CompletionResultType]::ParameterName, 'do not copy signatures')
            [CompletionResult]::new('--preserve-digests', '--preserve-digests', [CompletionResultType]::ParameterName, 'refuse any change that would alter image or list digests')
            [CompletionResult]::new('--referrers', '--referrers', [CompletionResultType]::ParameterName, 'also copy the image''s OCI 1.1 referrers (signatures, SBOMs, attestations), recursively, digests preserved; registries only (not in skopeo)')
            [CompletionResult]::new('--cosign-tags', '--cosign-tags', [CompletionResultType]::ParameterName, 'also copy cosign''s legacy sha256-DIGEST.sig, .att and .sbom tags of the image; registries only (not in skopeo)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'do not print progress')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'do not print progress')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'copy every image of a list, and the list')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'copy every image of a list, and the list')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'print debugging information')
            [CompletionResult]::new('--insecure-policy', '--insecure-policy', [CompletionResultType]::ParameterName, 'do not consult the trust policy')
            [CompletionResult]::new('--require-signed', '--require-signed', [CompletionResultType]::ParameterName, 'require any pulled image to be signed, whatever the trust policy says')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'skiff;delete' {
            [CompletionResult]::new('--authfile', '--authfile', [CompletionResultType]::ParameterName, 'path of the registry credentials file (default ${XDG_RUNTIME_DIR}/containers/auth.json)')
            [CompletionResult]::new('--creds', '--creds', [CompletionResultType]::ParameterName, 'Use USERNAME[:PASSWORD] to access the registry')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'username to access the registry')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'password to access the registry')
            [CompletionResult]::new('--registry-token', '--registry-token', [CompletionResultType]::ParameterName, 'a Bearer token to access the registry')
            [CompletionResult]::new('--cert-dir', '--cert-dir', [CompletionResultType]::ParameterName, 'use certificates at PATH (*.crt, *.cert, *.key) to reach the registry or daemon')
            [CompletionResult]::new('--tls-verify', '--tls-verify', [CompletionResultType]::ParameterName, 'require HTTPS and verify certificates when talking to the registry or daemon')
            [CompletionResult]::new('--shared-blob-dir', '--shared-blob-dir', [CompletionResultType]::ParameterName, 'DIRECTORY shared by OCI layouts for their blobs')
            [CompletionResult]::new('--daemon-host', '--daemon-host', [CompletionResultType]::ParameterName, 'use the docker daemon at HOST (docker-daemon: only)')
            [CompletionResult]::new('--retry-times', '--retry-times', [CompletionResultType]::ParameterName, 'how many times to retry a failed operation')
            [CompletionResult]::new('--retry-delay', '--retry-delay', [CompletionResultType]::ParameterName, 'fixed delay between retries (default: exponential backoff)')
            [CompletionResult]::new('--command-timeout', '--command-timeout', [CompletionResultType]::ParameterName, 'give up on the command after DURATION')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'fail and retry a registry request after DURATION without any data moving (default 60s, 0 for never)')
            [CompletionResult]::new('--override-arch', '--override-arch', [CompletionResultType]::ParameterName, 'choose images for ARCH instead of this machine''s architecture')
            [CompletionResult]::new('--override-os', '--override-os', [CompletionResultType]::ParameterName, 'choose images for OS instead of this machine''s OS')
            [CompletionResult]::new('--override-variant', '--override-variant', [CompletionResultType]::ParameterName, 'choose images for VARIANT instead of this machine''s architecture variant')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'path of the trust policy file')
            [CompletionResult]::new('--registries.d', '--registries.d', [CompletionResultType]::ParameterName, 'read registry configuration (e.g. signature storage) from DIR')
            [CompletionResult]::new('--registries-conf', '--registries-conf', [CompletionResultType]::ParameterName, 'registries-conf')
            [CompletionResult]::new('--tmpdir', '--tmpdir', [CompletionResultType]::ParameterName, 'directory for temporary files')
            [CompletionResult]::new('--tls-details', '--tls-details', [CompletionResultType]::ParameterName, 'path to a containers-tls-details.yaml file (minimum TLS version, cipher suites, named groups)')
            [CompletionResult]::new('--user-agent-prefix', '--user-agent-prefix', [CompletionResultType]::ParameterName, 'prefix to add to the User-Agent of registry requests')
            [CompletionResult]::new('--no-creds', '--no-creds', [CompletionResultType]::ParameterName, 'access the registry anonymously')
            [CompletionResult]::new('--tag-only', '--tag-only', [CompletionResultType]::ParameterName, 'remove only the tag (docker://NAME:TAG), not the manifest other tags may share; refused where the registry does not delete tags (not in skopeo)')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'print debugging information')
            [CompletionResult]::new('--insecure-policy', '--insecure-policy', [CompletionResultType]::ParameterName, 'do not consult the trust policy')
            [CompletionResult]::new('--require-signed', '--require-signed', [CompletionResultType]::ParameterName, 'require any pulled image to be signed, whatever the trust policy says')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'skiff;experimental-image-proxy' {
            [CompletionResult]::new('--authfile', '--authfile', [CompletionResultType]::ParameterName, 'path of the registry credentials file (default ${XDG_RUNTIME_DIR}/containers/auth.json)')
            [CompletionResult]::new('--creds', '--creds', [CompletionResultType]::ParameterName, 'Use USERNAME[:PASSWORD] to access the registry')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'username to access the registry')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'password to access the registry')
            [CompletionResult]::new('--registry-token', '--registry-token', [CompletionResultType]::ParameterName, 'a Bearer token to access the registry')
            [CompletionResult]::new('--cert-dir', '--cert-dir', [CompletionResultType]::ParameterName, 'use certificates at PATH (*.crt, *.cert, *.key) to reach the registry or daemon')
            [CompletionResult]::new('--tls-verify', '--tls-verify', [CompletionResultType]::ParameterName, 'require HTTPS and verify certificates when talking to the registry or daemon')
            [CompletionResult]::new('--shared-blob-dir', '--shared-blob-dir', [CompletionResultType]::ParameterName, 'DIRECTORY shared by OCI layouts for their blobs')
            [CompletionResult]::new('--daemon-host', '--daemon-host', [CompletionResultType]::ParameterName, 'use the docker daemon at HOST (docker-daemon: only)')
            [CompletionResult]::new('--sockfd', '--sockfd', [CompletionResultType]::ParameterName, 'serve on the opened socket pair FD (default 0, standard input)')
            [CompletionResult]::new('--command-timeout', '--command-timeout', [CompletionResultType]::ParameterName, 'give up on the command after DURATION')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'fail and retry a registry request after DURATION without any data moving (default 60s, 0 for never)')
            [CompletionResult]::new('--override-arch', '--override-arch', [CompletionResultType]::ParameterName, 'choose images for ARCH instead of this machine''s architecture')
            [CompletionResult]::new('--override-os', '--override-os', [CompletionResultType]::ParameterName, 'choose images for OS instead of this machine''s OS')
            [CompletionResult]::new('--override-variant', '--override-variant', [CompletionResultType]::ParameterName, 'choose images for VARIANT instead of this machine''s architecture variant')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'path of the trust policy file')
            [CompletionResult]::new('--registries.d', '--registries.d', [CompletionResultType]::ParameterName, 'read registry configuration (e.g. signature storage) from DIR')
            [CompletionResult]::new('--registries-conf', '--registries-conf', [CompletionResultType]::ParameterName, 'registries-conf')
            [CompletionResult]::new('--tmpdir', '--tmpdir', [CompletionResultType]::ParameterName, 'directory for temporary files')
            [CompletionResult]::new('--tls-details', '--tls-details', [CompletionResultType]::ParameterName, 'path to a containers-tls-details.yaml file (minimum TLS version, cipher suites, named groups)')
            [CompletionResult]::new('--user-agent-prefix', '--user-agent-prefix', [CompletionResultType]::ParameterName, 'prefix to add to the User-Agent of registry requests')
            [CompletionResult]::new('--no-creds', '--no-creds', [CompletionResultType]::ParameterName, 'access the registry anonymously')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'print debugging information')
            [CompletionResult]::new('--insecure-policy', '--insecure-policy', [CompletionResultType]::ParameterName, 'do not consult the trust policy')
            [CompletionResult]::new('--require-signed', '--require-signed', [CompletionResultType]::ParameterName, 'require any pulled image to be signed, whatever the trust policy says')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'skiff;generate-sigstore-key' {
            [CompletionResult]::new('--output-prefix', '--output-prefix', [CompletionResultType]::ParameterName, 'write the keys to PREFIX.pub and PREFIX.private')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'read the private key''s passphrase from PATH')
            [CompletionResult]::new('--command-timeout', '--command-timeout', [CompletionResultType]::ParameterName, 'give up on the command after DURATION')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'fail and retry a registry request after DURATION without any data moving (default 60s, 0 for never)')
            [CompletionResult]::new('--override-arch', '--override-arch', [CompletionResultType]::ParameterName, 'choose images for ARCH instead of this machine''s architecture')
            [CompletionResult]::new('--override-os', '--override-os', [CompletionResultType]::ParameterName, 'choose images for OS instead of this machine''s OS')
            [CompletionResult]::new('--override-variant', '--override-variant', [CompletionResultType]::ParameterName, 'choose images for VARIANT instead of this machine''s architecture variant')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'path of the trust policy file')
            [CompletionResult]::new('--registries.d', '--registries.d', [CompletionResultType]::ParameterName, 'read registry configuration (e.g. signature storage) from DIR')
            [CompletionResult]::new('--registries-conf', '--registries-conf', [CompletionResultType]::ParameterName, 'registries-conf')
            [CompletionResult]::new('--tmpdir', '--tmpdir', [CompletionResultType]::ParameterName, 'directory for temporary files')
            [CompletionResult]::new('--tls-details', '--tls-details', [CompletionResultType]::ParameterName, 'path to a containers-tls-details.yaml file (minimum TLS version, cipher suites, named groups)')
            [CompletionResult]::new('--user-agent-prefix', '--user-agent-prefix', [CompletionResultType]::ParameterName, 'prefix to add to the User-Agent of registry requests')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'print debugging information')
            [CompletionResult]::new('--insecure-policy', '--insecure-policy', [CompletionResultType]::ParameterName, 'do not consult the trust policy')
            [CompletionResult]::new('--require-signed', '--require-signed', [CompletionResultType]::ParameterName, 'require any pulled image to be signed, whatever the trust policy says')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'skiff;inspect' {
            [CompletionResult]::new('--authfile', '--authfile', [CompletionResultType]::ParameterName, 'path of the registry credentials file (default ${XDG_RUNTIME_DIR}/containers/auth.json)')
            [CompletionResult]::new('--creds', '--creds', [CompletionResultType]::ParameterName, 'Use USERNAME[:PASSWORD] to access the registry')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'username to access the registry')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'password to access the registry')
            [CompletionResult]::new('--registry-token', '--registry-token', [CompletionResultType]::ParameterName, 'a Bearer token to access the registry')
            [CompletionResult]::new('--cert-dir', '--cert-dir', [CompletionResultType]::ParameterName, 'use certificates at PATH (*.crt, *.cert, *.key) to reach the registry or daemon')
            [CompletionResult]::new('--tls-verify', '--tls-verify', [CompletionResultType]::ParameterName, 'require HTTPS and verify certificates when talking to the registry or daemon')
            [CompletionResult]::new('--shared-blob-dir', '--shared-blob-dir', [CompletionResultType]::ParameterName, 'DIRECTORY shared by OCI layouts for their blobs')
            [CompletionResult]::new('--daemon-host', '--daemon-host', [CompletionResultType]::ParameterName, 'use the docker daemon at HOST (docker-daemon: only)')
            [CompletionResult]::new('--retry-times', '--retry-times', [CompletionResultType]::ParameterName, 'how many times to retry a failed operation')
            [CompletionResult]::new('--retry-delay', '--retry-delay', [CompletionResultType]::ParameterName, 'fixed delay between retries (default: exponential backoff)')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'format the output with a Go template')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'format the output with a Go template')
            [CompletionResult]::new('--manifest-digest', '--manifest-digest', [CompletionResultType]::ParameterName, 'algorithm of the printed manifest digest (sha256, sha512; experimental in skopeo); default: the config digest''s')
            [CompletionResult]::new('--referrers-artifact-type', '--referrers-artifact-type', [CompletionResultType]::ParameterName, 'with --referrers, only referrers of this artifact type (repeatable; not in skopeo)')
            [CompletionResult]::new('--command-timeout', '--command-timeout', [CompletionResultType]::ParameterName, 'give up on the command after DURATION')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'fail and retry a registry request after DURATION without any data moving (default 60s, 0 for never)')
            [CompletionResult]::new('--override-arch', '--override-arch', [CompletionResultType]::ParameterName, 'choose images for ARCH instead of this machine''s architecture')
            [CompletionResult]::new('--override-os', '--override-os', [CompletionResultType]::ParameterName, 'choose images for OS instead of this machine''s OS')
            [CompletionResult]::new('--override-variant', '--override-variant', [CompletionResultType]::ParameterName, 'choose images for VARIANT instead of this machine''s architecture variant')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'path of the trust policy file')
            [CompletionResult]::new('--registries.d', '--registries.d', [CompletionResultType]::ParameterName, 'read registry configuration (e.g. signature storage) from DIR')
            [CompletionResult]::new('--registries-conf', '--registries-conf', [CompletionResultType]::ParameterName, 'registries-conf')
            [CompletionResult]::new('--tmpdir', '--tmpdir', [CompletionResultType]::ParameterName, 'directory for temporary files')
            [CompletionResult]::new('--tls-details', '--tls-details', [CompletionResultType]::ParameterName, 'path to a containers-tls-details.yaml file (minimum TLS version, cipher suites, named groups)')
            [CompletionResult]::new('--user-agent-prefix', '--user-agent-prefix', [CompletionResultType]::ParameterName, 'prefix to add to the User-Agent of registry requests')
            [CompletionResult]::new('--no-creds', '--no-creds', [CompletionResultType]::ParameterName, 'access the registry anonymously')
            [CompletionResult]::new('--raw', '--raw', [CompletionResultType]::ParameterName, 'print the raw manifest (or, with --config, the raw configuration)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'print the image configuration')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'do not list the repository''s tags in the output')
            [CompletionResult]::new('--no-tags', '--no-tags', [CompletionResultType]::ParameterName, 'do not list the repository''s tags in the output')
            [CompletionResult]::new('--referrers', '--referrers', [CompletionResultType]::ParameterName, 'list the image''s OCI 1.1 referrers, recursively, as JSON (registries only; not in skopeo)')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'print debugging information')
            [CompletionResult]::new('--insecure-policy', '--insecure-policy', [CompletionResultType]::ParameterName, 'do not consult the trust policy')
            [CompletionResult]::new('--require-signed', '--require-signed', [CompletionResultType]::ParameterName, 'require any pulled image to be signed, whatever the trust policy says')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'skiff;layers' {
            [CompletionResult]::new('--authfile', '--authfile', [CompletionResultType]::ParameterName, 'path of the registry credentials file (default ${XDG_RUNTIME_DIR}/containers/auth.json)')
            [CompletionResult]::new('--creds', '--creds', [CompletionResultType]::ParameterName, 'Use USERNAME[:PASSWORD] to access the registry')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'username to access the registry')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'password to access the registry')
            [CompletionResult]::new('--registry-token', '--registry-token', [CompletionResultType]::ParameterName, 'a Bearer token to access the registry')
            [CompletionResult]::new('--cert-dir', '--cert-dir', [CompletionResultType]::ParameterName, 'use certificates at PATH (*.crt, *.cert, *.key) to reach the registry or daemon')
            [CompletionResult]::new('--tls-verify', '--tls-verify', [CompletionResultType]::ParameterName, 'require HTTPS and verify certificates when talking to the registry or daemon')
            [CompletionResult]::new('--shared-blob-dir', '--shared-blob-dir', [CompletionResultType]::ParameterName, 'DIRECTORY shared by OCI layouts for their blobs')
            [CompletionResult]::new('--daemon-host', '--daemon-host', [CompletionResultType]::ParameterName, 'use the docker daemon at HOST (docker-daemon: only)')
            [CompletionResult]::new('--retry-times', '--retry-times', [CompletionResultType]::ParameterName, 'how many times to retry a failed operation')
            [CompletionResult]::new('--retry-delay', '--retry-delay', [CompletionResultType]::ParameterName, 'fixed delay between retries (default: exponential backoff)')
            [CompletionResult]::new('--command-timeout', '--command-timeout', [CompletionResultType]::ParameterName, 'give up on the command after DURATION')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'fail and retry a registry request after DURATION without any data moving (default 60s, 0 for never)')
            [CompletionResult]::new('--override-arch', '--override-arch', [CompletionResultType]::ParameterName, 'choose images for ARCH instead of this machine''s architecture')
            [CompletionResult]::new('--override-os', '--override-os', [CompletionResultType]::ParameterName, 'choose images for OS instead of this machine''s OS')
            [CompletionResult]::new('--override-variant', '--override-variant', [CompletionResultType]::ParameterName, 'choose images for VARIANT instead of this machine''s architecture variant')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'path of the trust policy file')
            [CompletionResult]::new('--registries.d', '--registries.d', [CompletionResultType]::ParameterName, 'read registry configuration (e.g. signature storage) from DIR')
            [CompletionResult]::new('--registries-conf', '--registries-conf', [CompletionResultType]::ParameterName, 'registries-conf')
            [CompletionResult]::new('--tmpdir', '--tmpdir', [CompletionResultType]::ParameterName, 'directory for temporary files')
            [CompletionResult]::new('--tls-details', '--tls-details', [CompletionResultType]::ParameterName, 'path to a containers-tls-details.yaml file (minimum TLS version, cipher suites, named groups)')
            [CompletionResult]::new('--user-agent-prefix', '--user-agent-prefix', [CompletionResultType]::ParameterName, 'prefix to add to the User-Agent of registry requests')
            [CompletionResult]::new('--no-creds', '--no-creds', [CompletionResultType]::ParameterName, 'access the registry anonymously')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'print debugging information')
            [CompletionResult]::new('--insecure-policy', '--insecure-policy', [CompletionResultType]::ParameterName, 'do not consult the trust policy')
            [CompletionResult]::new('--require-signed', '--require-signed', [CompletionResultType]::ParameterName, 'require any pulled image to be signed, whatever the trust policy says')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'skiff;list-repos' {
            [CompletionResult]::new('--authfile', '--authfile', [CompletionResultType]::ParameterName, 'path of the registry credentials file (default ${XDG_RUNTIME_DIR}/containers/auth.json)')
            [CompletionResult]::new('--creds', '--creds', [CompletionResultType]::ParameterName, 'Use USERNAME[:PASSWORD] to access the registry')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'username to access the registry')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'password to access the registry')
            [CompletionResult]::new('--registry-token', '--registry-token', [CompletionResultType]::ParameterName, 'a Bearer token to access the registry')
            [CompletionResult]::new('--cert-dir', '--cert-dir', [CompletionResultType]::ParameterName, 'use certificates at PATH (*.crt, *.cert, *.key) to reach the registry or daemon')
            [CompletionResult]::new('--tls-verify', '--tls-verify', [CompletionResultType]::ParameterName, 'require HTTPS and verify certificates when talking to the registry or daemon')
            [CompletionResult]::new('--shared-blob-dir', '--shared-blob-dir', [CompletionResultType]::ParameterName, 'DIRECTORY shared by OCI layouts for their blobs')
            [CompletionResult]::new('--daemon-host', '--daemon-host', [CompletionResultType]::ParameterName, 'use the docker daemon at HOST (docker-daemon: only)')
            [CompletionResult]::new('--retry-times', '--retry-times', [CompletionResultType]::ParameterName, 'how many times to retry a failed operation')
            [CompletionResult]::new('--retry-delay', '--retry-delay', [CompletionResultType]::ParameterName, 'fixed delay between retries (default: exponential backoff)')
            [CompletionResult]::new('--page-size', '--page-size', [CompletionResultType]::ParameterName, 'ask the registry for pages of N names (?n=N); default: the registry''s choice')
            [CompletionResult]::new('--command-timeout', '--command-timeout', [CompletionResultType]::ParameterName, 'give up on the command after DURATION')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'fail and retry a registry request after DURATION without any data moving (default 60s, 0 for never)')
            [CompletionResult]::new('--override-arch', '--override-arch', [CompletionResultType]::ParameterName, 'choose images for ARCH instead of this machine''s architecture')
            [CompletionResult]::new('--override-os', '--override-os', [CompletionResultType]::ParameterName, 'choose images for OS instead of this machine''s OS')
            [CompletionResult]::new('--override-variant', '--override-variant', [CompletionResultType]::ParameterName, 'choose images for VARIANT instead of this machine''s architecture variant')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'path of the trust policy file')
            [CompletionResult]::new('--registries.d', '--registries.d', [CompletionResultType]::ParameterName, 'read registry configuration (e.g. signature storage) from DIR')
            [CompletionResult]::new('--registries-conf', '--registries-conf', [CompletionResultType]::ParameterName, 'registries-conf')
            [CompletionResult]::new('--tmpdir', '--tmpdir', [CompletionResultType]::ParameterName, 'directory for temporary files')
            [CompletionResult]::new('--tls-details', '--tls-details', [CompletionResultType]::ParameterName, 'path to a containers-tls-details.yaml file (minimum TLS version, cipher suites, named groups)')
            [CompletionResult]::new('--user-agent-prefix', '--user-agent-prefix', [CompletionResultType]::ParameterName, 'prefix to add to the User-Agent of registry requests')
            [CompletionResult]::new('--no-creds', '--no-creds', [CompletionResultType]::ParameterName, 'access the registry anonymously')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'print debugging information')
            [CompletionResult]::new('--insecure-policy', '--insecure-policy', [CompletionResultType]::ParameterName, 'do not consult the trust policy')
            [CompletionResult]::new('--require-signed', '--require-signed', [CompletionResultType]::ParameterName, 'require any pulled image to be signed, whatever the trust policy says')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'skiff;list-tags' {
            [CompletionResult]::new('--authfile', '--authfile', [CompletionResultType]::ParameterName, 'path of the registry credentials file (default ${XDG_RUNTIME_DIR}/containers/auth.json)')
            [CompletionResult]::new('--creds', '--creds', [CompletionResultType]::ParameterName, 'Use USERNAME[:PASSWORD] to access the registry')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'username to access the registry')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'password to access the registry')
            [CompletionResult]::new('--registry-token', '--registry-token', [CompletionResultType]::ParameterName, 'a Bearer token to access the registry')
            [CompletionResult]::new('--cert-dir', '--cert-dir', [CompletionResultType]::ParameterName, 'use certificates at PATH (*.crt, *.cert, *.key) to reach the registry or daemon')
            [CompletionResult]::new('--tls-verify', '--tls-verify', [CompletionResultType]::ParameterName, 'require HTTPS and verify certificates when talking to the registry or daemon')
            [CompletionResult]::new('--shared-blob-dir', '--shared-blob-dir', [CompletionResultType]::ParameterName, 'DIRECTORY shared by OCI layouts for their blobs')
            [CompletionResult]::new('--daemon-host', '--daemon-host', [CompletionResultType]::ParameterName, 'use the docker daemon at HOST (docker-daemon: only)')
            [CompletionResult]::new('--retry-times', '--retry-times', [CompletionResultType]::ParameterName, 'how many times to retry a failed operation')
            [CompletionResult]::new('--retry-delay', '--retry-delay', [CompletionResultType]::ParameterName, 'fixed delay between retries (default: exponential backoff)')
            [CompletionResult]::new('--command-timeout', '--command-timeout', [CompletionResultType]::ParameterName, 'give up on the command after DURATION')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'fail and retry a registry request after DURATION without any data moving (default 60s, 0 for never)')
            [CompletionResult]::new('--override-arch', '--override-arch', [CompletionResultType]::ParameterName, 'choose images for ARCH instead of this machine''s architecture')
            [CompletionResult]::new('--override-os', '--override-os', [CompletionResultType]::ParameterName, 'choose images for OS instead of this machine''s OS')
            [CompletionResult]::new('--override-variant', '--override-variant', [CompletionResultType]::ParameterName, 'choose images for VARIANT instead of this machine''s architecture variant')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'path of the trust policy file')
            [CompletionResult]::new('--registries.d', '--registries.d', [CompletionResultType]::ParameterName, 'read registry configuration (e.g. signature storage) from DIR')
            [CompletionResult]::new('--registries-conf', '--registries-conf', [CompletionResultType]::ParameterName, 'registries-conf')
            [CompletionResult]::new('--tmpdir', '--tmpdir', [CompletionResultType]::ParameterName, 'directory for temporary files')
            [CompletionResult]::new('--tls-details', '--tls-details', [CompletionResultType]::ParameterName, 'path to a containers-tls-details.yaml file (minimum TLS version, cipher suites, named groups)')
            [CompletionResult]::new('--user-agent-prefix', '--user-agent-prefix', [CompletionResultType]::ParameterName, 'prefix to add to the User-Agent of registry requests')
            [CompletionResult]::new('--no-creds', '--no-creds', [CompletionResultType]::ParameterName, 'access the registry anonymously')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'print debugging information')
            [CompletionResult]::new('--insecure-policy', '--insecure-policy', [CompletionResultType]::ParameterName, 'do not consult the trust policy')
            [CompletionResult]::new('--require-signed', '--require-signed', [CompletionResultType]::ParameterName, 'require any pulled image to be signed, whatever the trust policy says')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'skiff;login' {
            [CompletionResult]::new('--authfile', '--authfile', [CompletionResultType]::ParameterName, 'path of the credentials file ($REGISTRY_AUTH_FILE overrides the default)')
            [CompletionResult]::new('--compat-auth-file', '--compat-auth-file', [CompletionResultType]::ParameterName, 'update this Docker-compatible config.json instead of the credentials file, in Docker''s format')
            [CompletionResult]::new('--cert-dir', '--cert-dir', [CompletionResultType]::ParameterName, 'use certificates at PATH to reach the registry')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'password for the registry')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'password for the registry')
            [CompletionResult]::new('--tls-verify', '--tls-verify', [CompletionResultType]::ParameterName, 'require HTTPS and verify certificates when talking to the registry')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'username for the registry')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'username for the registry')
            [CompletionResult]::new('--command-timeout', '--command-timeout', [CompletionResultType]::ParameterName, 'give up on the command after DURATION')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'fail and retry a registry request after DURATION without any data moving (default 60s, 0 for never)')
            [CompletionResult]::new('--override-arch', '--override-arch', [CompletionResultType]::ParameterName, 'choose images for ARCH instead of this machine''s architecture')
            [CompletionResult]::new('--override-os', '--override-os', [CompletionResultType]::ParameterName, 'choose images for OS instead of this machine''s OS')
            [CompletionResult]::new('--override-variant', '--override-variant', [CompletionResultType]::ParameterName, 'choose images for VARIANT instead of this machine''s architecture variant')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'path of the trust policy file')
            [CompletionResult]::new('--registries.d', '--registries.d', [CompletionResultType]::ParameterName, 'read registry configuration (e.g. signature storage) from DIR')
            [CompletionResult]::new('--registries-conf', '--registries-conf', [CompletionResultType]::ParameterName, 'registries-conf')
            [CompletionResult]::new('--tmpdir', '--tmpdir', [CompletionResultType]::ParameterName, 'directory for temporary files')
            [CompletionResult]::new('--tls-details', '--tls-details', [CompletionResultType]::ParameterName, 'path to a containers-tls-details.yaml file (minimum TLS version, cipher suites, named groups)')
            [CompletionResult]::new('--user-agent-prefix', '--user-agent-prefix', [CompletionResultType]::ParameterName, 'prefix to add to the User-Agent of registry requests')
            [CompletionResult]::new('--get-login', '--get-login', [CompletionResultType]::ParameterName, 'print the user logged in to the registry')
            [CompletionResult]::new('--password-stdin', '--password-stdin', [CompletionResultType]::ParameterName, 'read the password from standard input')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'print more details')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'print more details')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'print debugging information')
            [CompletionResult]::new('--insecure-policy', '--insecure-policy', [CompletionResultType]::ParameterName, 'do not consult the trust policy')
            [CompletionResult]::new('--require-signed', '--require-signed', [CompletionResultType]::ParameterName, 'require any pulled image to be signed, whatever the trust policy says')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'skiff;logout' {
            [CompletionResult]::new('--authfile', '--authfile', [CompletionResultType]::ParameterName, 'path of the credentials file ($REGISTRY_AUTH_FILE overrides the default)')
            [CompletionResult]::new('--compat-auth-file', '--compat-auth-file', [CompletionResultType]::ParameterName, 'remove credentials from this Docker-compatible config.json instead of the credentials file')
            [CompletionResult]::new('--tls-verify', '--tls-verify', [CompletionResultType]::ParameterName, 'require HTTPS and verify certificates when talking to the registry')
            [CompletionResult]::new('--command-timeout', '--command-timeout', [CompletionResultType]::ParameterName, 'give up on the command after DURATION')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'fail and retry a registry request after DURATION without any data moving (default 60s, 0 for never)')
            [CompletionResult]::new('--override-arch', '--override-arch', [CompletionResultType]::ParameterName, 'choose images for ARCH instead of this machine''s architecture')
            [CompletionResult]::new('--override-os', '--override-os', [CompletionResultType]::ParameterName, 'choose images for OS instead of this machine''s OS')
            [CompletionResult]::new('--override-variant', '--override-variant', [CompletionResultType]::ParameterName, 'choose images for VARIANT instead of this machine''s architecture variant')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'path of the trust policy file')
            [CompletionResult]::new('--registries.d', '--registries.d', [CompletionResultType]::ParameterName, 'read registry configuration (e.g. signature storage) from DIR')
            [CompletionResult]::new('--registries-conf', '--registries-conf', [CompletionResultType]::ParameterName, 'registries-conf')
            [CompletionResult]::new('--tmpdir', '--tmpdir', [CompletionResultType]::ParameterName, 'directory for temporary files')
            [CompletionResult]::new('--tls-details', '--tls-details', [CompletionResultType]::ParameterName, 'path to a containers-tls-details.yaml file (minimum TLS version, cipher suites, named groups)')
            [CompletionResult]::new('--user-agent-prefix', '--user-agent-prefix', [CompletionResultType]::ParameterName, 'prefix to add to the User-Agent of registry requests')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'remove the credentials of every registry in the credentials file')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'remove the credentials of every registry in the credentials file')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'print debugging information')
            [CompletionResult]::new('--insecure-policy', '--insecure-policy', [CompletionResultType]::ParameterName, 'do not consult the trust policy')
            [CompletionResult]::new('--require-signed', '--require-signed', [CompletionResultType]::ParameterName, 'require any pulled image to be signed, whatever the trust policy says')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'skiff;manifest-digest' {
            [CompletionResult]::new('--command-timeout', '--command-timeout', [CompletionResultType]::ParameterName, 'give up on the command after DURATION')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'fail and retry a registry request after DURATION without any data moving (default 60s, 0 for never)')
            [CompletionResult]::new('--override-arch', '--override-arch', [CompletionResultType]::ParameterName, 'choose images for ARCH instead of this machine''s architecture')
            [CompletionResult]::new('--override-os', '--override-os', [CompletionResultType]::ParameterName, 'choose images for OS instead of this machine''s OS')
            [CompletionResult]::new('--override-variant', '--override-variant', [CompletionResultType]::ParameterName, 'choose images for VARIANT instead of this machine''s architecture variant')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'path of the trust policy file')
            [CompletionResult]::new('--registries.d', '--registries.d', [CompletionResultType]::ParameterName, 'read registry configuration (e.g. signature storage) from DIR')
            [CompletionResult]::new('--registries-conf', '--registries-conf', [CompletionResultType]::ParameterName, 'registries-conf')
            [CompletionResult]::new('--tmpdir', '--tmpdir', [CompletionResultType]::ParameterName, 'directory for temporary files')
            [CompletionResult]::new('--tls-details', '--tls-details', [CompletionResultType]::ParameterName, 'path to a containers-tls-details.yaml file (minimum TLS version, cipher suites, named groups)')
            [CompletionResult]::new('--user-agent-prefix', '--user-agent-prefix', [CompletionResultType]::ParameterName, 'prefix to add to the User-Agent of registry requests')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'print debugging information')
            [CompletionResult]::new('--insecure-policy', '--insecure-policy', [CompletionResultType]::ParameterName, 'do not consult the trust policy')
            [CompletionResult]::new('--require-signed', '--require-signed', [CompletionResultType]::ParameterName, 'require any pulled image to be signed, whatever the trust policy says')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'skiff;standalone-sign' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'write the signature to SIGNATURE')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'write the signature to SIGNATURE')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'read the key''s passphrase from PATH')
            [CompletionResult]::new('--command-timeout', '--command-timeout', [CompletionResultType]::ParameterName, 'give up on the command after DURATION')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'fail and retry a registry request after DURATION without any data moving (default 60s, 0 for never)')
            [CompletionResult]::new('--override-arch', '--override-arch', [CompletionResultType]::ParameterName, 'choose images for ARCH instead of this machine''s architecture')
            [CompletionResult]::new('--override-os', '--override-os', [CompletionResultType]::ParameterName, 'choose images for OS instead of this machine''s OS')
            [CompletionResult]::new('--override-variant', '--override-variant', [CompletionResultType]::ParameterName, 'choose images for VARIANT instead of this machine''s architecture variant')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'path of the trust policy file')
            [CompletionResult]::new('--registries.d', '--registries.d', [CompletionResultType]::ParameterName, 'read registry configuration (e.g. signature storage) from DIR')
            [CompletionResult]::new('--registries-conf', '--registries-conf', [CompletionResultType]::ParameterName, 'registries-conf')
            [CompletionResult]::new('--tmpdir', '--tmpdir', [CompletionResultType]::ParameterName, 'directory for temporary files')
            [CompletionResult]::new('--tls-details', '--tls-details', [CompletionResultType]::ParameterName, 'path to a containers-tls-details.yaml file (minimum TLS version, cipher suites, named groups)')
            [CompletionResult]::new('--user-agent-prefix', '--user-agent-prefix', [CompletionResultType]::ParameterName, 'prefix to add to the User-Agent of registry requests')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'print debugging information')
            [CompletionResult]::new('--insecure-policy', '--insecure-policy', [CompletionResultType]::ParameterName, 'do not consult the trust policy')
            [CompletionResult]::new('--require-signed', '--require-signed', [CompletionResultType]::ParameterName, 'require any pulled image to be signed, whatever the trust policy says')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'skiff;standalone-verify' {
            [CompletionResult]::new('--public-key-file', '--public-key-file', [CompletionResultType]::ParameterName, 'verify with the public keys in PATH')
            [CompletionResult]::new('--command-timeout', '--command-timeout', [CompletionResultType]::ParameterName, 'give up on the command after DURATION')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'fail and retry a registry request after DURATION without any data moving (default 60s, 0 for never)')
            [CompletionResult]::new('--override-arch', '--override-arch', [CompletionResultType]::ParameterName, 'choose images for ARCH instead of this machine''s architecture')
            [CompletionResult]::new('--override-os', '--override-os', [CompletionResultType]::ParameterName, 'choose images for OS instead of this machine''s OS')
            [CompletionResult]::new('--override-variant', '--override-variant', [CompletionResultType]::ParameterName, 'choose images for VARIANT instead of this machine''s architecture variant')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'path of the trust policy file')
            [CompletionResult]::new('--registries.d', '--registries.d', [CompletionResultType]::ParameterName, 'read registry configuration (e.g. signature storage) from DIR')
            [CompletionResult]::new('--registries-conf', '--registries-conf', [CompletionResultType]::ParameterName, 'registries-conf')
            [CompletionResult]::new('--tmpdir', '--tmpdir', [CompletionResultType]::ParameterName, 'directory for temporary files')
            [CompletionResult]::new('--tls-details', '--tls-details', [CompletionResultType]::ParameterName, 'path to a containers-tls-details.yaml file (minimum TLS version, cipher suites, named groups)')
            [CompletionResult]::new('--user-agent-prefix', '--user-agent-prefix', [CompletionResultType]::ParameterName, 'prefix to add to the User-Agent of registry requests')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'print debugging information')
            [CompletionResult]::new('--insecure-policy', '--insecure-policy', [CompletionResultType]::ParameterName, 'do not consult the trust policy')
            [CompletionResult]::new('--require-signed', '--require-signed', [CompletionResultType]::ParameterName, 'require any pulled image to be signed, whatever the trust policy says')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'skiff;sync' {
            [CompletionResult]::new('--authfile', '--authfile', [CompletionResultType]::ParameterName, 'path of the registry credentials file (default ${XDG_RUNTIME_DIR}/containers/auth.json)')
            [CompletionResult]::new('--src-authfile', '--src-authfile', [CompletionResultType]::ParameterName, 'path of the registry credentials file (source)')
            [CompletionResult]::new('--dest-authfile', '--dest-authfile', [CompletionResultType]::ParameterName, 'path of the registry credentials file (destination)')
            [CompletionResult]::new('--src-creds', '--src-creds', [CompletionResultType]::ParameterName, 'Use USERNAME[:PASSWORD] to access the registry (source)')
            [CompletionResult]::new('--src-username', '--src-username', [CompletionResultType]::ParameterName, 'username to access the registry (source)')
            [CompletionResult]::new('--src-password', '--src-password', [CompletionResultType]::ParameterName, 'password to access the registry (source)')
            [CompletionResult]::new('--src-registry-token', '--src-registry-token', [CompletionResultType]::ParameterName, 'a Bearer token to access the registry (source)')
            [CompletionResult]::new('--src-cert-dir', '--src-cert-dir', [CompletionResultType]::ParameterName, 'use certificates at PATH (*.crt, *.cert, *.key) to reach the registry or daemon (source)')
            [CompletionResult]::new('--src-tls-verify', '--src-tls-verify', [CompletionResultType]::ParameterName, 'require HTTPS and verify certificates when talking to the registry or daemon (source)')
            [CompletionResult]::new('--src-shared-blob-dir', '--src-shared-blob-dir', [CompletionResultType]::ParameterName, 'DIRECTORY shared by OCI layouts for their blobs (source)')
            [CompletionResult]::new('--src-daemon-host', '--src-daemon-host', [CompletionResultType]::ParameterName, 'use the docker daemon at HOST (docker-daemon: only) (source)')
            [CompletionResult]::new('--dest-creds', '--dest-creds', [CompletionResultType]::ParameterName, 'Use USERNAME[:PASSWORD] to access the registry (destination)')
            [CompletionResult]::new('--dest-username', '--dest-username', [CompletionResultType]::ParameterName, 'username to access the registry (destination)')
            [CompletionResult]::new('--dest-password', '--dest-password', [CompletionResultType]::ParameterName, 'password to access the registry (destination)')
            [CompletionResult]::new('--dest-registry-token', '--dest-registry-token', [CompletionResultType]::ParameterName, 'a Bearer token to access the registry (destination)')
            [CompletionResult]::new('--dest-cert-dir', '--dest-cert-dir', [CompletionResultType]::ParameterName, 'use certificates at PATH (*.crt, *.cert, *.key) to reach the registry or daemon (destination)')
            [CompletionResult]::new('--dest-tls-verify', '--dest-tls-verify', [CompletionResultType]::ParameterName, 'require HTTPS and verify certificates when talking to the registry or daemon (destination)')
            [CompletionResult]::new('--dest-shared-blob-dir', '--dest-shared-blob-dir', [CompletionResultType]::ParameterName, 'DIRECTORY shared by OCI layouts for their blobs (destination)')
            [CompletionResult]::new('--dest-daemon-host', '--dest-daemon-host', [CompletionResultType]::ParameterName, 'use the docker daemon at HOST (docker-daemon: only) (destination)')
            [CompletionResult]::new('--tls-verify', '--tls-verify', [CompletionResultType]::ParameterName, 'tls-verify')
            [CompletionResult]::new('--retry-times', '--retry-times', [CompletionResultType]::ParameterName, 'how many times to retry a failed operation')
            [CompletionResult]::new('--retry-delay', '--retry-delay', [CompletionResultType]::ParameterName, 'fixed delay between retries (default: exponential backoff)')
            [CompletionResult]::new('--sign-by', '--sign-by', [CompletionResultType]::ParameterName, 'sign the image with the GPG key FINGERPRINT')
            [CompletionResult]::new('--sign-by-sq-fingerprint', '--sign-by-sq-fingerprint', [CompletionResultType]::ParameterName, 'sign the image with the Sequoia-PGP key FINGERPRINT (from the Sequoia home: SEQUOIA_HOME, else the default)')
            [CompletionResult]::new('--sign-by-sigstore', '--sign-by-sigstore', [CompletionResultType]::ParameterName, 'sign the image using the sigstore parameter file PATH (a private key, or Fulcio with a static OIDC token; optionally Rekor)')
            [CompletionResult]::new('--sign-by-sigstore-private-key', '--sign-by-sigstore-private-key', [CompletionResultType]::ParameterName, 'sign the image with the sigstore private key at PATH')
            [CompletionResult]::new('--sign-passphrase-file', '--sign-passphrase-file', [CompletionResultType]::ParameterName, 'read the signing key''s passphrase from PATH')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'manifest type (oci, v2s1, or v2s2) for the destination (default: the source''s, with fallbacks)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'manifest type (oci, v2s1, or v2s2) for the destination (default: the source''s, with fallbacks)')
            [CompletionResult]::new('--referrers-artifact-type', '--referrers-artifact-type', [CompletionResultType]::ParameterName, 'with --referrers, only referrers of this artifact type (repeatable; not in skopeo)')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'SOURCE transport: docker, dir, yaml or oci')
            [CompletionResult]::new('--src', '--src', [CompletionResultType]::ParameterName, 'SOURCE transport: docker, dir, yaml or oci')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'DESTINATION transport: docker, dir or oci')
            [CompletionResult]::new('--dest', '--dest', [CompletionResultType]::ParameterName, 'DESTINATION transport: docker, dir or oci')
            [CompletionResult]::new('--append-suffix', '--append-suffix', [CompletionResultType]::ParameterName, 'add SUFFIX to destination image names')
            [CompletionResult]::new('--digestfile', '--digestfile', [CompletionResultType]::ParameterName, 'write the digest and name of every copied image to PATH, one per line')
            [CompletionResult]::new('--progress', '--progress', [CompletionResultType]::ParameterName, 'progress on stderr: auto (bars on a terminal, lines elsewhere), plain (lines), or json (one object per event)')
            [CompletionResult]::new('--progress-interval', '--progress-interval', [CompletionResultType]::ParameterName, 'how often a line shows each active blob''s progress off a terminal (default 30s; 1s with --progress=json); 0 turns it off')
            [CompletionResult]::new('--parallel-images', '--parallel-images', [CompletionResultType]::ParameterName, 'how many images to copy at once (default 6)')
            [CompletionResult]::new('--shard', '--shard', [CompletionResultType]::ParameterName, 'copy only share I (0 to N-1) of N; N processes with I = 0…N-1 copy every image once (default: JOB_COMPLETION_INDEX/JOB_COMPLETIONS when set)')
            [CompletionResult]::new('--report', '--report', [CompletionResultType]::ParameterName, 'write a JSON report (each image''s source, destination, digest, result, bytes, duration) to FILE (- for stdout)')
            [CompletionResult]::new('--include-tag', '--include-tag', [CompletionResultType]::ParameterName, 'copy only tags matching REGEX (matched anywhere in the tag; anchor with ^…$)')
            [CompletionResult]::new('--exclude-tag', '--exclude-tag', [CompletionResultType]::ParameterName, 'do not copy tags matching REGEX')
            [CompletionResult]::new('--semver', '--semver', [CompletionResultType]::ParameterName, 'copy only tags that are semantic versions within RANGE (e.g. ">=1.2, <2", as images-by-semver)')
            [CompletionResult]::new('--command-timeout', '--command-timeout', [CompletionResultType]::ParameterName, 'give up on the command after DURATION')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'fail and retry a registry request after DURATION without any data moving (default 60s, 0 for never)')
            [CompletionResult]::new('--override-arch', '--override-arch', [CompletionResultType]::ParameterName, 'choose images for ARCH instead of this machine''s architecture')
            [CompletionResult]::new('--override-os', '--override-os', [CompletionResultType]::ParameterName, 'choose images for OS instead of this machine''s OS')
            [CompletionResult]::new('--override-variant', '--override-variant', [CompletionResultType]::ParameterName, 'choose images for VARIANT instead of this machine''s architecture variant')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'path of the trust policy file')
            [CompletionResult]::new('--registries.d', '--registries.d', [CompletionResultType]::ParameterName, 'read registry configuration (e.g. signature storage) from DIR')
            [CompletionResult]::new('--registries-conf', '--registries-conf', [CompletionResultType]::ParameterName, 'registries-conf')
            [CompletionResult]::new('--tmpdir', '--tmpdir', [CompletionResultType]::ParameterName, 'directory for temporary files')
            [CompletionResult]::new('--tls-details', '--tls-details', [CompletionResultType]::ParameterName, 'path to a containers-tls-details.yaml file (minimum TLS version, cipher suites, named groups)')
            [CompletionResult]::new('--user-agent-prefix', '--user-agent-prefix', [CompletionResultType]::ParameterName, 'prefix to add to the User-Agent of registry requests')
            [CompletionResult]::new('--src-no-creds', '--src-no-creds', [CompletionResultType]::ParameterName, 'access the registry anonymously (source)')
            [CompletionResult]::new('--dest-no-creds', '--dest-no-creds', [CompletionResultType]::ParameterName, 'access the registry anonymously (destination)')
            [CompletionResult]::new('--remove-signatures', '--remove-signatures', [CompletionResultType]::ParameterName, 'do not copy signatures')
            [CompletionResult]::new('--preserve-digests', '--preserve-digests', [CompletionResultType]::ParameterName, 'refuse any change that would alter image or list digests')
            [CompletionResult]::new('--referrers', '--referrers', [CompletionResultType]::ParameterName, 'also copy the image''s OCI 1.1 referrers (signatures, SBOMs, attestations), recursively, digests preserved; registries only (not in skopeo)')
            [CompletionResult]::new('--cosign-tags', '--cosign-tags', [CompletionResultType]::ParameterName, 'also copy cosign''s legacy sha256-DIGEST.sig, .att and .sbom tags of the image; registries only (not in skopeo)')
            [CompletionResult]::new('--scoped', '--scoped', [CompletionResultType]::ParameterName, 'name destination images with the full source path as scope')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'copy every image of a list, and the list')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'copy every image of a list, and the list')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'show what would be copied without copying')
            [CompletionResult]::new('--keep-going', '--keep-going', [CompletionResultType]::ParameterName, 'go on after an image fails to copy')
            [CompletionResult]::new('--prune', '--prune', [CompletionResultType]::ParameterName, 'delete the destination tags of the mirrored repositories that the source no longer has (with --dry-run: list them)')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'print debugging information')
            [CompletionResult]::new('--insecure-policy', '--insecure-policy', [CompletionResultType]::ParameterName, 'do not consult the trust policy')
            [CompletionResult]::new('--require-signed', '--require-signed', [CompletionResultType]::ParameterName, 'require any pulled image to be signed, whatever the trust policy says')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'skiff;untrusted-signature-dump-without-verification' {
            [CompletionResult]::new('--command-timeout', '--command-timeout', [CompletionResultType]::ParameterName, 'give up on the command after DURATION')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'fail and retry a registry request after DURATION without any data moving (default 60s, 0 for never)')
            [CompletionResult]::new('--override-arch', '--override-arch', [CompletionResultType]::ParameterName, 'choose images for ARCH instead of this machine''s architecture')
            [CompletionResult]::new('--override-os', '--override-os', [CompletionResultType]::ParameterName, 'choose images for OS instead of this machine''s OS')
            [CompletionResult]::new('--override-variant', '--override-variant', [CompletionResultType]::ParameterName, 'choose images for VARIANT instead of this machine''s architecture variant')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'path of the trust policy file')
            [CompletionResult]::new('--registries.d', '--registries.d', [CompletionResultType]::ParameterName, 'read registry configuration (e.g. signature storage) from DIR')
            [CompletionResult]::new('--registries-conf', '--registries-conf', [CompletionResultType]::ParameterName, 'registries-conf')
            [CompletionResult]::new('--tmpdir', '--tmpdir', [CompletionResultType]::ParameterName, 'directory for temporary files')
            [CompletionResult]::new('--tls-details', '--tls-details', [CompletionResultType]::ParameterName, 'path to a containers-tls-details.yaml file (minimum TLS version, cipher suites, named groups)')
            [CompletionResult]::new('--user-agent-prefix', '--user-agent-prefix', [CompletionResultType]::ParameterName, 'prefix to add to the User-Agent of registry requests')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'print debugging information')
            [CompletionResult]::new('--insecure-policy', '--insecure-policy', [CompletionResultType]::ParameterName, 'do not consult the trust policy')
            [CompletionResult]::new('--require-signed', '--require-signed', [CompletionResultType]::ParameterName, 'require any pulled image to be signed, whatever the trust policy says')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'skiff;help' {
            [CompletionResult]::new('completion', 'completion', [CompletionResultType]::ParameterValue, 'Generate the shell completion script for bash, fish, powershell or zsh')
            [CompletionResult]::new('copy', 'copy', [CompletionResultType]::ParameterValue, 'Copy an IMAGE-NAME from one location to another')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete image IMAGE-NAME')
            [CompletionResult]::new('experimental-image-proxy', 'experimental-image-proxy', [CompletionResultType]::ParameterValue, 'Interactive proxy for fetching container images (EXPERIMENTAL)')
            [CompletionResult]::new('generate-sigstore-key', 'generate-sigstore-key', [CompletionResultType]::ParameterValue, 'Generate a sigstore public/private key pair')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Inspect image IMAGE-NAME')
            [CompletionResult]::new('layers', 'layers', [CompletionResultType]::ParameterValue, 'Get layers of IMAGE-NAME (deprecated in skopeo in favor of copy)')
            [CompletionResult]::new('list-repos', 'list-repos', [CompletionResultType]::ParameterValue, 'List the repositories of a registry (not in skopeo)')
            [CompletionResult]::new('list-tags', 'list-tags', [CompletionResultType]::ParameterValue, 'List the tags of the repository or archive SOURCE-IMAGE')
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Log in to a container registry')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'Log out of a container registry')
            [CompletionResult]::new('manifest-digest', 'manifest-digest', [CompletionResultType]::ParameterValue, 'Compute the manifest digest of a file')
            [CompletionResult]::new('standalone-sign', 'standalone-sign', [CompletionResultType]::ParameterValue, 'Create a signature using local files')
            [CompletionResult]::new('standalone-verify', 'standalone-verify', [CompletionResultType]::ParameterValue, 'Verify a signature using local files')
            [CompletionResult]::new('sync', 'sync', [CompletionResultType]::ParameterValue, 'Synchronize one or more images from one location to another')
            [CompletionResult]::new('untrusted-signature-dump-without-verification', 'untrusted-signature-dump-without-verification', [CompletionResultType]::ParameterValue, 'Dump contents of a signature WITHOUT VERIFYING IT')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'skiff;help;completion' {
            [CompletionResult]::new('bash', 'bash', [CompletionResultType]::ParameterValue, 'Generate the completion script for bash')
            [CompletionResult]::new('fish', 'fish', [CompletionResultType]::ParameterValue, 'Generate the completion script for fish')
            [CompletionResult]::new('powershell', 'powershell', [CompletionResultType]::ParameterValue, 'Generate the completion script for powershell')
            [CompletionResult]::new('zsh', 'zsh', [CompletionResultType]::ParameterValue, 'Generate the completion script for zsh')
            break
        }
        'skiff;help;completion;bash' {
            break
        }
        'skiff;help;completion;fish' {
            break
        }
        'skiff;help;completion;powershell' {
            break
        }
        'skiff;help;completion;zsh' {
            break
        }
        'skiff;help;copy' {
            break
        }
        'skiff;help;delete' {
            break
        }
        'skiff;help;experimental-image-proxy' {
            break
        }
        'skiff;help;generate-sigstore-key' {
            break
        }
        'skiff;help;inspect' {
            break
        }
        'skiff;help;layers' {
            break
        }
        'skiff;help;list-repos' {
            break
        }
        'skiff;help;list-tags' {
            break
        }
        'skiff;help;login' {
            break
        }
        'skiff;help;logout' {
            break
        }
        'skiff;help;manifest-digest' {
            break
        }
        'skiff;help;standalone-sign' {
            break
        }
        'skiff;help;standalone-verify' {
            break
        }
        'skiff;help;sync' {
            break
        }
        'skiff;help;untrusted-signature-dump-without-verification' {
            break
        }
        'skiff;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
