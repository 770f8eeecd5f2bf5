# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_skiff_global_optspecs
    string join \n command-timeout= debug idle-timeout= insecure-policy require-signed override-arch= override-os= override-variant= policy= registries.d= registries-conf= tmpdir= tls-details= user-agent-prefix= tls-verify= v/version h/help
end

function __fish_skiff_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_skiff_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_skiff_using_subcommand
    set -l cmd (__fish_skiff_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c skiff -n "__fish_skiff_needs_command" -l command-timeout -d 'give up on the command after DURATION' -r
complete -c skiff -n "__fish_skiff_needs_command" -l idle-timeout -d 'fail and retry a registry request after DURATION without any data moving (default 60s, 0 for never)' -r
complete -c skiff -n "__fish_skiff_needs_command" -l override-arch -d 'choose images for ARCH instead of this machine\'s architecture' -r
complete -c skiff -n "__fish_skiff_needs_command" -l override-os -d 'choose images for OS instead of this machine\'s OS' -r
complete -c skiff -n "__fish_skiff_needs_command" -l override-variant -d 'choose images for VARIANT instead of this machine\'s architecture variant' -r
complete -c skiff -n "__fish_skiff_needs_command" -l policy -d 'path of the trust policy file' -r -F
complete -c skiff -n "__fish_skiff_needs_command" -l registries.d -d 'read registry configuration (e.g. signature storage) from DIR' -r -F
complete -c skiff -n "__fish_skiff_needs_command" -l registries-conf -r -F
complete -c skiff -n "__fish_skiff_needs_command" -l tmpdir -d 'directory for temporary files' -r -F
complete -c skiff -n "__fish_skiff_needs_command" -l tls-details -d 'path to a containers-tls-details.yaml file (minimum TLS version, cipher suites, named groups)' -r -F
complete -c skiff -n "__fish_skiff_needs_command" -l user-agent-prefix -d 'prefix to add to the User-Agent of registry requests' -r
complete -c skiff -n "__fish_skiff_needs_command" -l tls-verify -d 'Deprecated in skopeo: kept so old scripts still parse' -r
complete -c skiff -n "__fish_skiff_needs_command" -l debug -d 'print debugging information'
complete -c skiff -n "__fish_skiff_needs_command" -l insecure-policy -d 'do not consult the trust policy'
complete -c skiff -n "__fish_skiff_needs_command" -l require-signed -d 'require any pulled image to be signed, whatever the trust policy says'
complete -c skiff -n "__fish_skiff_needs_command" -s v -l version -d 'print the version'
complete -c skiff -n "__fish_skiff_needs_command" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "completion" -d 'Generate the shell completion script for bash, fish, powershell or zsh'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "copy" -d 'Copy an IMAGE-NAME from one location to another'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "delete" -d 'Delete image IMAGE-NAME'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "experimental-image-proxy" -d 'Interactive proxy for fetching container images (EXPERIMENTAL)'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "generate-sigstore-key" -d 'Generate a sigstore public/private key pair'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "inspect" -d 'Inspect image IMAGE-NAME'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "layers" -d 'Get layers of IMAGE-NAME (deprecated in skopeo in favor of copy)'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "list-repos" -d 'List the repositories of a registry (not in skopeo)'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "list-tags" -d 'List the tags of the repository or archive SOURCE-IMAGE'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "login" -d 'Log in to a container registry'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "logout" -d 'Log out of a container registry'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "manifest-digest" -d 'Compute the manifest digest of a file'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "standalone-sign" -d 'Create a signature using local files'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "standalone-verify" -d 'Verify a signature using local files'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "sync" -d 'Synchronize one or more images from one location to another'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "untrusted-signature-dump-without-verification" -d 'Dump contents of a signature WITHOUT VERIFYING IT'
complete -c skiff -n "__fish_skiff_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c skiff -n "__fish_skiff_using_subcommand completion; and not __fish_seen_subcommand_from bash fish powershell zsh help" -l command-timeout -d 'give up on the command after DURATION' -r
complete -c skiff -n "__fish_skiff_using_subcommand completion; and not __fish_seen_subcommand_from bash fish powershell zsh help" -l idle-timeout -d 'fail and retry a registry request after DURATION without any data moving (default 60s, 0 for never)' -r
complete -c skiff -n "__fish_skiff_using_subcommand completion; and not __fish_seen_subcommand_from bash fish powershell zsh help" -l override-arch -d 'choose images for ARCH instead of this machine\'s architecture' -r
complete -c skiff -n "__fish_skiff_using_subcommand completion; and not __fish_seen_subcommand_from bash fish powershell zsh help" -l override-os -d 'choose images for OS instead of this machine\'s OS' -r
complete -c skiff -n "__fish_skiff_using_subcommand completion; and not __fish_seen_subcommand_from bash fish powershell zsh help" -l override-variant -d 'choose images for VARIANT instead of this machine\'s architecture variant' -r
complete -c skiff -n "__fish_skiff_using_subcommand completion; and not __fish_seen_subcommand_from bash fish powershell zsh help" -l policy -d 'path of the trust policy file' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand completion; and not __fish_seen_subcommand_from bash fish powershell zsh help" -l registries.d -d 'read registry configuration (e.g. signature storage) from DIR' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand completion; and not __fish_seen_subcommand_from bash fish powershell zsh help" -l registries-conf -r -F
complete -c skiff -n "__fish_skiff_using_subcommand completion; and not __fish_seen_subcommand_from bash fish powershell zsh help" -l tmpdir -d 'directory for temporary files' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand completion; and not __fish_seen_subcommand_from bash fish powershell zsh help" -l tls-details -d 'path to a containers-tls-details.yaml file (minimum TLS version, cipher suites, named groups)' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand completion; and not __fish_seen_subcommand_from bash fish powershell zsh help" -l user-agent-prefix -d 'prefix to add to the User-Agent of registry requests' -r
complete -c skiff -n "__fish_skiff_using_subcommand completion; and not __fish_seen_subcommand_from bash fish powershell zsh help" -l debug -d 'print debugging information'
complete -c skiff -n "__fish_skiff_using_subcommand completion; and not __fish_seen_subcommand_from bash fish powershell zsh help" -l insecure-policy -d 'do not consult the trust policy'
complete -c skiff -n "__fish_skiff_using_subcommand completion; and not __fish_seen_subcommand_from bash fish powershell zsh help" -l require-signed -d 'require any pulled image to be signed, whatever the trust policy says'
complete -c skiff -n "__fish_skiff_using_subcommand completion; and not __fish_seen_subcommand_from bash fish powershell zsh help" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand completion; and not __fish_seen_subcommand_from bash fish powershell zsh help" -f -a "bash" -d 'Generate the completion script for bash'
complete -c skiff -n "__fish_skiff_using_subcommand completion; and not __fish_seen_subcommand_from bash fish powershell zsh help" -f -a "fish" -d 'Generate the completion script for fish'
complete -c skiff -n "__fish_skiff_using_subcommand completion; and not __fish_seen_subcommand_from bash fish powershell zsh help" -f -a "powershell" -d 'Generate the completion script for powershell'
complete -c skiff -n "__fish_skiff_using_subcommand completion; and not __fish_seen_subcommand_from bash fish powershell zsh help" -f -a "zsh" -d 'Generate the completion script for zsh'
complete -c skiff -n "__fish_skiff_using_subcommand completion; and not __fish_seen_subcommand_from bash fish powershell zsh help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from bash" -l command-timeout -d 'give up on the command after DURATION' -r
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from bash" -l idle-timeout -d 'fail and retry a registry request after DURATION without any data moving (default 60s, 0 for never)' -r
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from bash" -l override-arch -d 'choose images for ARCH instead of this machine\'s architecture' -r
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from bash" -l override-os -d 'choose images for OS instead of this machine\'s OS' -r
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from bash" -l override-variant -d 'choose images for VARIANT instead of this machine\'s architecture variant' -r
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from bash" -l policy -d 'path of the trust policy file' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from bash" -l registries.d -d 'read registry configuration (e.g. signature storage) from DIR' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from bash" -l registries-conf -r -F
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from bash" -l tmpdir -d 'directory for temporary files' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from bash" -l tls-details -d 'path to a containers-tls-details.yaml file (minimum TLS version, cipher suites, named groups)' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from bash" -l user-agent-prefix -d 'prefix to add to the User-Agent of registry requests' -r
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from bash" -l no-descriptions -d 'disable completion descriptions'
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from bash" -l debug -d 'print debugging information'
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from bash" -l insecure-policy -d 'do not consult the trust policy'
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from bash" -l require-signed -d 'require any pulled image to be signed, whatever the trust policy says'
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from bash" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from fish" -l command-timeout -d 'give up on the command after DURATION' -r
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from fish" -l idle-timeout -d 'fail and retry a registry request after DURATION without any data moving (default 60s, 0 for never)' -r
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from fish" -l override-arch -d 'choose images for ARCH instead of this machine\'s architecture' -r
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from fish" -l override-os -d 'choose images for OS instead of this machine\'s OS' -r
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from fish" -l override-variant -d 'choose images for VARIANT instead of this machine\'s architecture variant' -r
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from fish" -l policy -d 'path of the trust policy file' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from fish" -l registries.d -d 'read registry configuration (e.g. signature storage) from DIR' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from fish" -l registries-conf -r -F
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from fish" -l tmpdir -d 'directory for temporary files' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from fish" -l tls-details -d 'path to a containers-tls-details.yaml file (minimum TLS version, cipher suites, named groups)' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from fish" -l user-agent-prefix -d 'prefix to add to the User-Agent of registry requests' -r
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from fish" -l no-descriptions -d 'disable completion descriptions'
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from fish" -l debug -d 'print debugging information'
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from fish" -l insecure-policy -d 'do not consult the trust policy'
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from fish" -l require-signed -d 'require any pulled image to be signed, whatever the trust policy says'
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from fish" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from powershell" -l command-timeout -d 'give up on the command after DURATION' -r
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from powershell" -l idle-timeout -d 'fail and retry a registry request after DURATION without any data moving (default 60s, 0 for never)' -r
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from powershell" -l override-arch -d 'choose images for ARCH instead of this machine\'s architecture' -r
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from powershell" -l override-os -d 'choose images for OS instead of this machine\'s OS' -r
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from powershell" -l override-variant -d 'choose images for VARIANT instead of this machine\'s architecture variant' -r
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from powershell" -l policy -d 'path of the trust policy file' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from powershell" -l registries.d -d 'read registry configuration (e.g. signature storage) from DIR' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from powershell" -l registries-conf -r -F
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from powershell" -l tmpdir -d 'directory for temporary files' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from powershell" -l tls-details -d 'path to a containers-tls-details.yaml file (minimum TLS version, cipher suites, named groups)' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from powershell" -l user-agent-prefix -d 'prefix to add to the User-Agent of registry requests' -r
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from powershell" -l no-descriptions -d 'disable completion descriptions'
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from powershell" -l debug -d 'print debugging information'
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from powershell" -l insecure-policy -d 'do not consult the trust policy'
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from powershell" -l require-signed -d 'require any pulled image to be signed, whatever the trust policy says'
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from powershell" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from zsh" -l command-timeout -d 'give up on the command after DURATION' -r
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from zsh" -l idle-timeout -d 'fail and retry a registry request after DURATION without any data moving (default 60s, 0 for never)' -r
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from zsh" -l override-arch -d 'choose images for ARCH instead of this machine\'s architecture' -r
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from zsh" -l override-os -d 'choose images for OS instead of this machine\'s OS' -r
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from zsh" -l override-variant -d 'choose images for VARIANT instead of this machine\'s architecture variant' -r
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from zsh" -l policy -d 'path of the trust policy file' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from zsh" -l registries.d -d 'read registry configuration (e.g. signature storage) from DIR' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from zsh" -l registries-conf -r -F
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from zsh" -l tmpdir -d 'directory for temporary files' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from zsh" -l tls-details -d 'path to a containers-tls-details.yaml file (minimum TLS version, cipher suites, named groups)' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from zsh" -l user-agent-prefix -d 'prefix to add to the User-Agent of registry requests' -r
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from zsh" -l no-descriptions -d 'disable completion descriptions'
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from zsh" -l debug -d 'print debugging information'
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from zsh" -l insecure-policy -d 'do not consult the trust policy'
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from zsh" -l require-signed -d 'require any pulled image to be signed, whatever the trust policy says'
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from zsh" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from help" -f -a "bash" -d 'Generate the completion script for bash'
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from help" -f -a "fish" -d 'Generate the completion script for fish'
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from help" -f -a "powershell" -d 'Generate the completion script for powershell'
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from help" -f -a "zsh" -d 'Generate the completion script for zsh'
complete -c skiff -n "__fish_skiff_using_subcommand completion; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l authfile -d 'path of the registry credentials file (default ${XDG_RUNTIME_DIR}/containers/auth.json)' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l src-authfile -d 'path of the registry credentials file (source)' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l dest-authfile -d 'path of the registry credentials file (destination)' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l src-creds -d 'Use USERNAME[:PASSWORD] to access the registry (source)' -r
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l src-username -d 'username to access the registry (source)' -r
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l src-password -d 'password to access the registry (source)' -r
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l src-registry-token -d 'a Bearer token to access the registry (source)' -r
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l src-cert-dir -d 'use certificates at PATH (*.crt, *.cert, *.key) to reach the registry or daemon (source)' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l src-tls-verify -d 'require HTTPS and verify certificates when talking to the registry or daemon (source)' -r
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l src-shared-blob-dir -d 'DIRECTORY shared by OCI layouts for their blobs (source)' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l src-daemon-host -d 'use the docker daemon at HOST (docker-daemon: only) (source)' -r
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l dest-creds -d 'Use USERNAME[:PASSWORD] to access the registry (destination)' -r
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l dest-username -d 'username to access the registry (destination)' -r
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l dest-password -d 'password to access the registry (destination)' -r
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l dest-registry-token -d 'a Bearer token to access the registry (destination)' -r
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l dest-cert-dir -d 'use certificates at PATH (*.crt, *.cert, *.key) to reach the registry or daemon (destination)' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l dest-tls-verify -d 'require HTTPS and verify certificates when talking to the registry or daemon (destination)' -r
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l dest-shared-blob-dir -d 'DIRECTORY shared by OCI layouts for their blobs (destination)' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l dest-daemon-host -d 'use the docker daemon at HOST (docker-daemon: only) (destination)' -r
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l dest-compress-format -d 'compression FORMAT for layers (gzip, zstd, zstd:chunked)' -r
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l dest-compress-level -d 'compression LEVEL' -r
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l tls-verify -r
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l retry-times -d 'how many times to retry a failed operation' -r
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l retry-delay -d 'fixed delay between retries (default: exponential backoff)' -r
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l sign-by -d 'sign the image with the GPG key FINGERPRINT' -r
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l sign-by-sq-fingerprint -d 'sign the image with the Sequoia-PGP key FINGERPRINT (from the Sequoia home: SEQUOIA_HOME, else the default)' -r
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l sign-by-sigstore -d 'sign the image using the sigstore parameter file PATH (a private key, or Fulcio with a static OIDC token; optionally Rekor)' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l sign-by-sigstore-private-key -d 'sign the image with the sigstore private key at PATH' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l sign-passphrase-file -d 'read the signing key\'s passphrase from PATH' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand copy" -s f -l format -d 'manifest type (oci, v2s1, or v2s2) for the destination (default: the source\'s, with fallbacks)' -r
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l referrers-artifact-type -d 'with --referrers, only referrers of this artifact type (repeatable; not in skopeo)' -r
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l additional-tag -d 'additional tags (docker-archive destinations)' -r
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l progress -d 'progress on stderr: auto (bars on a terminal, lines elsewhere), plain (lines), or json (one object per event)' -r -f -a "auto\t''
plain\t''
json\t''"
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l progress-interval -d 'how often a line shows each active blob\'s progress off a terminal (default 30s; 1s with --progress=json); 0 turns it off' -r
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l multi-arch -d 'how to copy a multi-architecture image: system, all, index-only, or a list of platforms os/arch[/variant],...' -r
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l sign-identity -d 'identity the signature names (default: the destination\'s docker reference)' -r
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l digestfile -d 'write the digest of the copied manifest to PATH' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l report -d 'write a JSON report of the copy (source, destination, digest, result, bytes, duration) to FILE (- for stdout; not in skopeo)' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l encryption-key -d '*Experimental* recipient to encrypt layers for: jwe:PUBLIC-KEY.pem (an RSA or P-256 key), pkcs7:CERT.pem (an RSA certificate) or pgp:NAME-OR-EMAIL (in the GnuPG key ring); repeatable' -r
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l encrypt-layer -d '*Experimental* index of a layer to encrypt (0 is the first, -1 the last; repeatable; default: every layer)' -r
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l decryption-key -d '*Experimental* key to decrypt layers with: KEY.pem (RSA or P-256), CERT.pem (beside a pkcs7 key) or a GnuPG secret key ring, each FILE[:PASSPHRASE]; repeatable' -r
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l image-parallel-copies -d 'how many layers to copy at once (default 6)' -r
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l command-timeout -d 'give up on the command after DURATION' -r
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l idle-timeout -d 'fail and retry a registry request after DURATION without any data moving (default 60s, 0 for never)' -r
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l override-arch -d 'choose images for ARCH instead of this machine\'s architecture' -r
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l override-os -d 'choose images for OS instead of this machine\'s OS' -r
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l override-variant -d 'choose images for VARIANT instead of this machine\'s architecture variant' -r
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l policy -d 'path of the trust policy file' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l registries.d -d 'read registry configuration (e.g. signature storage) from DIR' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l registries-conf -r -F
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l tmpdir -d 'directory for temporary files' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l tls-details -d 'path to a containers-tls-details.yaml file (minimum TLS version, cipher suites, named groups)' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l user-agent-prefix -d 'prefix to add to the User-Agent of registry requests' -r
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l src-no-creds -d 'access the registry anonymously (source)'
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l dest-no-creds -d 'access the registry anonymously (destination)'
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l dest-compress -d 'compress layers when writing to a \'dir\' destination (default: as the source)'
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l dest-decompress -d 'decompress layers when writing to a \'dir\' destination (default: as the source)'
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l dest-oci-accept-uncompressed-layers -d 'keep uncompressed layers uncompressed in an \'oci\' destination (default: compress them)'
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l dest-precompute-digests -d 'compute layer digests before uploading, to skip layers the registry has (\'docker\' only)'
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l dest-force-compress-format -d 'use only the --dest-compress-format algorithm, recompressing layers as needed'
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l remove-signatures -d 'do not copy signatures'
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l preserve-digests -d 'refuse any change that would alter image or list digests'
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l referrers -d 'also copy the image\'s OCI 1.1 referrers (signatures, SBOMs, attestations), recursively, digests preserved; registries only (not in skopeo)'
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l cosign-tags -d 'also copy cosign\'s legacy sha256-DIGEST.sig, .att and .sbom tags of the image; registries only (not in skopeo)'
complete -c skiff -n "__fish_skiff_using_subcommand copy" -s q -l quiet -d 'do not print progress'
complete -c skiff -n "__fish_skiff_using_subcommand copy" -s a -l all -d 'copy every image of a list, and the list'
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l debug -d 'print debugging information'
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l insecure-policy -d 'do not consult the trust policy'
complete -c skiff -n "__fish_skiff_using_subcommand copy" -l require-signed -d 'require any pulled image to be signed, whatever the trust policy says'
complete -c skiff -n "__fish_skiff_using_subcommand copy" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand delete" -l authfile -d 'path of the registry credentials file (default ${XDG_RUNTIME_DIR}/containers/auth.json)' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand delete" -l creds -d 'Use USERNAME[:PASSWORD] to access the registry' -r
complete -c skiff -n "__fish_skiff_using_subcommand delete" -l username -d 'username to access the registry' -r
complete -c skiff -n "__fish_skiff_using_subcommand delete" -l password -d 'password to access the registry' -r
complete -c skiff -n "__fish_skiff_using_subcommand delete" -l registry-token -d 'a Bearer token to access the registry' -r
complete -c skiff -n "__fish_skiff_using_subcommand delete" -l cert-dir -d 'use certificates at PATH (*.crt, *.cert, *.key) to reach the registry or daemon' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand delete" -l tls-verify -d 'require HTTPS and verify certificates when talking to the registry or daemon' -r
complete -c skiff -n "__fish_skiff_using_subcommand delete" -l shared-blob-dir -d 'DIRECTORY shared by OCI layouts for their blobs' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand delete" -l daemon-host -d 'use the docker daemon at HOST (docker-daemon: only)' -r
complete -c skiff -n "__fish_skiff_using_subcommand delete" -l retry-times -d 'how many times to retry a failed operation' -r
complete -c skiff -n "__fish_skiff_using_subcommand delete" -l retry-delay -d 'fixed delay between retries (default: exponential backoff)' -r
complete -c skiff -n "__fish_skiff_using_subcommand delete" -l command-timeout -d 'give up on the command after DURATION' -r
complete -c skiff -n "__fish_skiff_using_subcommand delete" -l idle-timeout -d 'fail and retry a registry request after DURATION without any data moving (default 60s, 0 for never)' -r
complete -c skiff -n "__fish_skiff_using_subcommand delete" -l override-arch -d 'choose images for ARCH instead of this machine\'s architecture' -r
complete -c skiff -n "__fish_skiff_using_subcommand delete" -l override-os -d 'choose images for OS instead of this machine\'s OS' -r
complete -c skiff -n "__fish_skiff_using_subcommand delete" -l override-variant -d 'choose images for VARIANT instead of this machine\'s architecture variant' -r
complete -c skiff -n "__fish_skiff_using_subcommand delete" -l policy -d 'path of the trust policy file' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand delete" -l registries.d -d 'read registry configuration (e.g. signature storage) from DIR' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand delete" -l registries-conf -r -F
complete -c skiff -n "__fish_skiff_using_subcommand delete" -l tmpdir -d 'directory for temporary files' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand delete" -l tls-details -d 'path to a containers-tls-details.yaml file (minimum TLS version, cipher suites, named groups)' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand delete" -l user-agent-prefix -d 'prefix to add to the User-Agent of registry requests' -r
complete -c skiff -n "__fish_skiff_using_subcommand delete" -l no-creds -d 'access the registry anonymously'
complete -c skiff -n "__fish_skiff_using_subcommand delete" -l tag-only -d 'remove only the tag (docker://NAME:TAG), not the manifest other tags may share; refused where the registry does not delete tags (not in skopeo)'
complete -c skiff -n "__fish_skiff_using_subcommand delete" -l debug -d 'print debugging information'
complete -c skiff -n "__fish_skiff_using_subcommand delete" -l insecure-policy -d 'do not consult the trust policy'
complete -c skiff -n "__fish_skiff_using_subcommand delete" -l require-signed -d 'require any pulled image to be signed, whatever the trust policy says'
complete -c skiff -n "__fish_skiff_using_subcommand delete" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand experimental-image-proxy" -l authfile -d 'path of the registry credentials file (default ${XDG_RUNTIME_DIR}/containers/auth.json)' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand experimental-image-proxy" -l creds -d 'Use USERNAME[:PASSWORD] to access the registry' -r
complete -c skiff -n "__fish_skiff_using_subcommand experimental-image-proxy" -l username -d 'username to access the registry' -r
complete -c skiff -n "__fish_skiff_using_subcommand experimental-image-proxy" -l password -d 'password to access the registry' -r
complete -c skiff -n "__fish_skiff_using_subcommand experimental-image-proxy" -l registry-token -d 'a Bearer token to access the registry' -r
complete -c skiff -n "__fish_skiff_using_subcommand experimental-image-proxy" -l cert-dir -d 'use certificates at PATH (*.crt, *.cert, *.key) to reach the registry or daemon' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand experimental-image-proxy" -l tls-verify -d 'require HTTPS and verify certificates when talking to the registry or daemon' -r
complete -c skiff -n "__fish_skiff_using_subcommand experimental-image-proxy" -l shared-blob-dir -d 'DIRECTORY shared by OCI layouts for their blobs' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand experimental-image-proxy" -l daemon-host -d 'use the docker daemon at HOST (docker-daemon: only)' -r
complete -c skiff -n "__fish_skiff_using_subcommand experimental-image-proxy" -l sockfd -d 'serve on the opened socket pair FD (default 0, standard input)' -r
complete -c skiff -n "__fish_skiff_using_subcommand experimental-image-proxy" -l command-timeout -d 'give up on the command after DURATION' -r
complete -c skiff -n "__fish_skiff_using_subcommand experimental-image-proxy" -l idle-timeout -d 'fail and retry a registry request after DURATION without any data moving (default 60s, 0 for never)' -r
complete -c skiff -n "__fish_skiff_using_subcommand experimental-image-proxy" -l override-arch -d 'choose images for ARCH instead of this machine\'s architecture' -r
complete -c skiff -n "__fish_skiff_using_subcommand experimental-image-proxy" -l override-os -d 'choose images for OS instead of this machine\'s OS' -r
complete -c skiff -n "__fish_skiff_using_subcommand experimental-image-proxy" -l override-variant -d 'choose images for VARIANT instead of this machine\'s architecture variant' -r
complete -c skiff -n "__fish_skiff_using_subcommand experimental-image-proxy" -l policy -d 'path of the trust policy file' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand experimental-image-proxy" -l registries.d -d 'read registry configuration (e.g. signature storage) from DIR' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand experimental-image-proxy" -l registries-conf -r -F
complete -c skiff -n "__fish_skiff_using_subcommand experimental-image-proxy" -l tmpdir -d 'directory for temporary files' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand experimental-image-proxy" -l tls-details -d 'path to a containers-tls-details.yaml file (minimum TLS version, cipher suites, named groups)' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand experimental-image-proxy" -l user-agent-prefix -d 'prefix to add to the User-Agent of registry requests' -r
complete -c skiff -n "__fish_skiff_using_subcommand experimental-image-proxy" -l no-creds -d 'access the registry anonymously'
complete -c skiff -n "__fish_skiff_using_subcommand experimental-image-proxy" -l debug -d 'print debugging information'
complete -c skiff -n "__fish_skiff_using_subcommand experimental-image-proxy" -l insecure-policy -d 'do not consult the trust policy'
complete -c skiff -n "__fish_skiff_using_subcommand experimental-image-proxy" -l require-signed -d 'require any pulled image to be signed, whatever the trust policy says'
complete -c skiff -n "__fish_skiff_using_subcommand experimental-image-proxy" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand generate-sigstore-key" -l output-prefix -d 'write the keys to PREFIX.pub and PREFIX.private' -r
complete -c skiff -n "__fish_skiff_using_subcommand generate-sigstore-key" -l passphrase-file -d 'read the private key\'s passphrase from PATH' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand generate-sigstore-key" -l command-timeout -d 'give up on the command after DURATION' -r
complete -c skiff -n "__fish_skiff_using_subcommand generate-sigstore-key" -l idle-timeout -d 'fail and retry a registry request after DURATION without any data moving (default 60s, 0 for never)' -r
complete -c skiff -n "__fish_skiff_using_subcommand generate-sigstore-key" -l override-arch -d 'choose images for ARCH instead of this machine\'s architecture' -r
complete -c skiff -n "__fish_skiff_using_subcommand generate-sigstore-key" -l override-os -d 'choose images for OS instead of this machine\'s OS' -r
complete -c skiff -n "__fish_skiff_using_subcommand generate-sigstore-key" -l override-variant -d 'choose images for VARIANT instead of this machine\'s architecture variant' -r
complete -c skiff -n "__fish_skiff_using_subcommand generate-sigstore-key" -l policy -d 'path of the trust policy file' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand generate-sigstore-key" -l registries.d -d 'read registry configuration (e.g. signature storage) from DIR' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand generate-sigstore-key" -l registries-conf -r -F
complete -c skiff -n "__fish_skiff_using_subcommand generate-sigstore-key" -l tmpdir -d 'directory for temporary files' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand generate-sigstore-key" -l tls-details -d 'path to a containers-tls-details.yaml file (minimum TLS version, cipher suites, named groups)' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand generate-sigstore-key" -l user-agent-prefix -d 'prefix to add to the User-Agent of registry requests' -r
complete -c skiff -n "__fish_skiff_using_subcommand generate-sigstore-key" -l debug -d 'print debugging information'
complete -c skiff -n "__fish_skiff_using_subcommand generate-sigstore-key" -l insecure-policy -d 'do not consult the trust policy'
complete -c skiff -n "__fish_skiff_using_subcommand generate-sigstore-key" -l require-signed -d 'require any pulled image to be signed, whatever the trust policy says'
complete -c skiff -n "__fish_skiff_using_subcommand generate-sigstore-key" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand inspect" -l authfile -d 'path of the registry credentials file (default ${XDG_RUNTIME_DIR}/containers/auth.json)' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand inspect" -l creds -d 'Use USERNAME[:PASSWORD] to access the registry' -r
complete -c skiff -n "__fish_skiff_using_subcommand inspect" -l username -d 'username to access the registry' -r
complete -c skiff -n "__fish_skiff_using_subcommand inspect" -l password -d 'password to access the registry' -r
complete -c skiff -n "__fish_skiff_using_subcommand inspect" -l registry-token -d 'a Bearer token to access the registry' -r
complete -c skiff -n "__fish_skiff_using_subcommand inspect" -l cert-dir -d 'use certificates at PATH (*.crt, *.cert, *.key) to reach the registry or daemon' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand inspect" -l tls-verify -d 'require HTTPS and verify certificates when talking to the registry or daemon' -r
complete -c skiff -n "__fish_skiff_using_subcommand inspect" -l shared-blob-dir -d 'DIRECTORY shared by OCI layouts for their blobs' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand inspect" -l daemon-host -d 'use the docker daemon at HOST (docker-daemon: only)' -r
complete -c skiff -n "__fish_skiff_using_subcommand inspect" -l retry-times -d 'how many times to retry a failed operation' -r
complete -c skiff -n "__fish_skiff_using_subcommand inspect" -l retry-delay -d 'fixed delay between retries (default: exponential backoff)' -r
complete -c skiff -n "__fish_skiff_using_subcommand inspect" -s f -l format -d 'format the output with a Go template' -r
complete -c skiff -n "__fish_skiff_using_subcommand inspect" -l manifest-digest -d 'algorithm of the printed manifest digest (sha256, sha512; experimental in skopeo); default: the config digest\'s' -r
complete -c skiff -n "__fish_skiff_using_subcommand inspect" -l referrers-artifact-type -d 'with --referrers, only referrers of this artifact type (repeatable; not in skopeo)' -r
complete -c skiff -n "__fish_skiff_using_subcommand inspect" -l command-timeout -d 'give up on the command after DURATION' -r
complete -c skiff -n "__fish_skiff_using_subcommand inspect" -l idle-timeout -d 'fail and retry a registry request after DURATION without any data moving (default 60s, 0 for never)' -r
complete -c skiff -n "__fish_skiff_using_subcommand inspect" -l override-arch -d 'choose images for ARCH instead of this machine\'s architecture' -r
complete -c skiff -n "__fish_skiff_using_subcommand inspect" -l override-os -d 'choose images for OS instead of this machine\'s OS' -r
complete -c skiff -n "__fish_skiff_using_subcommand inspect" -l override-variant -d 'choose images for VARIANT instead of this machine\'s architecture variant' -r
complete -c skiff -n "__fish_skiff_using_subcommand inspect" -l policy -d 'path of the trust policy file' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand inspect" -l registries.d -d 'read registry configuration (e.g. signature storage) from DIR' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand inspect" -l registries-conf -r -F
complete -c skiff -n "__fish_skiff_using_subcommand inspect" -l tmpdir -d 'directory for temporary files' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand inspect" -l tls-details -d 'path to a containers-tls-details.yaml file (minimum TLS version, cipher suites, named groups)' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand inspect" -l user-agent-prefix -d 'prefix to add to the User-Agent of registry requests' -r
complete -c skiff -n "__fish_skiff_using_subcommand inspect" -l no-creds -d 'access the registry anonymously'
complete -c skiff -n "__fish_skiff_using_subcommand inspect" -l raw -d 'print the raw manifest (or, with --config, the raw configuration)'
complete -c skiff -n "__fish_skiff_using_subcommand inspect" -l config -d 'print the image configuration'
complete -c skiff -n "__fish_skiff_using_subcommand inspect" -s n -l no-tags -d 'do not list the repository\'s tags in the output'
complete -c skiff -n "__fish_skiff_using_subcommand inspect" -l referrers -d 'list the image\'s OCI 1.1 referrers, recursively, as JSON (registries only; not in skopeo)'
complete -c skiff -n "__fish_skiff_using_subcommand inspect" -l debug -d 'print debugging information'
complete -c skiff -n "__fish_skiff_using_subcommand inspect" -l insecure-policy -d 'do not consult the trust policy'
complete -c skiff -n "__fish_skiff_using_subcommand inspect" -l require-signed -d 'require any pulled image to be signed, whatever the trust policy says'
complete -c skiff -n "__fish_skiff_using_subcommand inspect" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c skiff -n "__fish_skiff_using_subcommand layers" -l authfile -d 'path of the registry credentials file (default ${XDG_RUNTIME_DIR}/containers/auth.json)' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand layers" -l creds -d 'Use USERNAME[:PASSWORD] to access the registry' -r
complete -c skiff -n "__fish_skiff_using_subcommand layers" -l username -d 'username to access the registry' -r
complete -c skiff -n "__fish_skiff_using_subcommand layers" -l password -d 'password to access the registry' -r
complete -c skiff -n "__fish_skiff_using_subcommand layers" -l registry-token -d 'a Bearer token to access the registry' -r
complete -c skiff -n "__fish_skiff_using_subcommand layers" -l cert-dir -d 'use certificates at PATH (*.crt, *.cert, *.key) to reach the registry or daemon' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand layers" -l tls-verify -d 'require HTTPS and verify certificates when talking to the registry or daemon' -r
complete -c skiff -n "__fish_skiff_using_subcommand layers" -l shared-blob-dir -d 'DIRECTORY shared by OCI layouts for their blobs' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand layers" -l daemon-host -d 'use the docker daemon at HOST (docker-daemon: only)' -r
complete -c skiff -n "__fish_skiff_using_subcommand layers" -l retry-times -d 'how many times to retry a failed operation' -r
complete -c skiff -n "__fish_skiff_using_subcommand layers" -l retry-delay -d 'fixed delay between retries (default: exponential backoff)' -r
complete -c skiff -n "__fish_skiff_using_subcommand layers" -l command-timeout -d 'give up on the command after DURATION' -r
complete -c skiff -n "__fish_skiff_using_subcommand layers" -l idle-timeout -d 'fail and retry a registry request after DURATION without any data moving (default 60s, 0 for never)' -r
complete -c skiff -n "__fish_skiff_using_subcommand layers" -l override-arch -d 'choose images for ARCH instead of this machine\'s architecture' -r
complete -c skiff -n "__fish_skiff_using_subcommand layers" -l override-os -d 'choose images for OS instead of this machine\'s OS' -r
complete -c skiff -n "__fish_skiff_using_subcommand layers" -l override-variant -d 'choose images for VARIANT instead of this machine\'s architecture variant' -r
complete -c skiff -n "__fish_skiff_using_subcommand layers" -l policy -d 'path of the trust policy file' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand layers" -l registries.d -d 'read registry configuration (e.g. signature storage) from DIR' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand layers" -l registries-conf -r -F
complete -c skiff -n "__fish_skiff_using_subcommand layers" -l tmpdir -d 'directory for temporary files' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand layers" -l tls-details -d 'path to a containers-tls-details.yaml file (minimum TLS version, cipher suites, named groups)' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand layers" -l user-agent-prefix -d 'prefix to add to the User-Agent of registry requests' -r
complete -c skiff -n "__fish_skiff_using_subcommand layers" -l no-creds -d 'access the registry anonymously'
complete -c skiff -n "__fish_skiff_using_subcommand layers" -l debug -d 'print debugging information'
complete -c skiff -n "__fish_skiff_using_subcommand layers" -l insecure-policy -d 'do not consult the trust policy'
complete -c skiff -n "__fish_skiff_using_subcommand layers" -l require-signed -d 'require any pulled image to be signed, whatever the trust policy says'
complete -c skiff -n "__fish_skiff_using_subcommand layers" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand list-repos" -l authfile -d 'path of the registry credentials file (default ${XDG_RUNTIME_DIR}/containers/auth.json)' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand list-repos" -l creds -d 'Use USERNAME[:PASSWORD] to access the registry' -r
complete -c skiff -n "__fish_skiff_using_subcommand list-repos" -l username -d 'username to access the registry' -r
complete -c skiff -n "__fish_skiff_using_subcommand list-repos" -l password -d 'password to access the registry' -r
complete -c skiff -n "__fish_skiff_using_subcommand list-repos" -l registry-token -d 'a Bearer token to access the registry' -r
complete -c skiff -n "__fish_skiff_using_subcommand list-repos" -l cert-dir -d 'use certificates at PATH (*.crt, *.cert, *.key) to reach the registry or daemon' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand list-repos" -l tls-verify -d 'require HTTPS and verify certificates when talking to the registry or daemon' -r
complete -c skiff -n "__fish_skiff_using_subcommand list-repos" -l shared-blob-dir -d 'DIRECTORY shared by OCI layouts for their blobs' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand list-repos" -l daemon-host -d 'use the docker daemon at HOST (docker-daemon: only)' -r
complete -c skiff -n "__fish_skiff_using_subcommand list-repos" -l retry-times -d 'how many times to retry a failed operation' -r
complete -c skiff -n "__fish_skiff_using_subcommand list-repos" -l retry-delay -d 'fixed delay between retries (default: exponential backoff)' -r
complete -c skiff -n "__fish_skiff_using_subcommand list-repos" -l page-size -d 'ask the registry for pages of N names (?n=N); default: the registry\'s choice' -r
complete -c skiff -n "__fish_skiff_using_subcommand list-repos" -l command-timeout -d 'give up on the command after DURATION' -r
complete -c skiff -n "__fish_skiff_using_subcommand list-repos" -l idle-timeout -d 'fail and retry a registry request after DURATION without any data moving (default 60s, 0 for never)' -r
complete -c skiff -n "__fish_skiff_using_subcommand list-repos" -l override-arch -d 'choose images for ARCH instead of this machine\'s architecture' -r
complete -c skiff -n "__fish_skiff_using_subcommand list-repos" -l override-os -d 'choose images for OS instead of this machine\'s OS' -r
complete -c skiff -n "__fish_skiff_using_subcommand list-repos" -l override-variant -d 'choose images for VARIANT instead of this machine\'s architecture variant' -r
complete -c skiff -n "__fish_skiff_using_subcommand list-repos" -l policy -d 'path of the trust policy file' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand list-repos" -l registries.d -d 'read registry configuration (e.g. signature storage) from DIR' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand list-repos" -l registries-conf -r -F
complete -c skiff -n "__fish_skiff_using_subcommand list-repos" -l tmpdir -d 'directory for temporary files' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand list-repos" -l tls-details -d 'path to a containers-tls-details.yaml file (minimum TLS version, cipher suites, named groups)' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand list-repos" -l user-agent-prefix -d 'prefix to add to the User-Agent of registry requests' -r
complete -c skiff -n "__fish_skiff_using_subcommand list-repos" -l no-creds -d 'access the registry anonymously'
complete -c skiff -n "__fish_skiff_using_subcommand list-repos" -l debug -d 'print debugging information'
complete -c skiff -n "__fish_skiff_using_subcommand list-repos" -l insecure-policy -d 'do not consult the trust policy'
complete -c skiff -n "__fish_skiff_using_subcommand list-repos" -l require-signed -d 'require any pulled image to be signed, whatever the trust policy says'
complete -c skiff -n "__fish_skiff_using_subcommand list-repos" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand list-tags" -l authfile -d 'path of the registry credentials file (default ${XDG_RUNTIME_DIR}/containers/auth.json)' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand list-tags" -l creds -d 'Use USERNAME[:PASSWORD] to access the registry' -r
complete -c skiff -n "__fish_skiff_using_subcommand list-tags" -l username -d 'username to access the registry' -r
complete -c skiff -n "__fish_skiff_using_subcommand list-tags" -l password -d 'password to access the registry' -r
complete -c skiff -n "__fish_skiff_using_subcommand list-tags" -l registry-token -d 'a Bearer token to access the registry' -r
complete -c skiff -n "__fish_skiff_using_subcommand list-tags" -l cert-dir -d 'use certificates at PATH (*.crt, *.cert, *.key) to reach the registry or daemon' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand list-tags" -l tls-verify -d 'require HTTPS and verify certificates when talking to the registry or daemon' -r
complete -c skiff -n "__fish_skiff_using_subcommand list-tags" -l shared-blob-dir -d 'DIRECTORY shared by OCI layouts for their blobs' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand list-tags" -l daemon-host -d 'use the docker daemon at HOST (docker-daemon: only)' -r
complete -c skiff -n "__fish_skiff_using_subcommand list-tags" -l retry-times -d 'how many times to retry a failed operation' -r
complete -c skiff -n "__fish_skiff_using_subcommand list-tags" -l retry-delay -d 'fixed delay between retries (default: exponential backoff)' -r
complete -c skiff -n "__fish_skiff_using_subcommand list-tags" -l command-timeout -d 'give up on the command after DURATION' -r
complete -c skiff -n "__fish_skiff_using_subcommand list-tags" -l idle-timeout -d 'fail and retry a registry request after DURATION without any data moving (default 60s, 0 for never)' -r
complete -c skiff -n "__fish_skiff_using_subcommand list-tags" -l override-arch -d 'choose images for ARCH instead of this machine\'s architecture' -r
complete -c skiff -n "__fish_skiff_using_subcommand list-tags" -l override-os -d 'choose images for OS instead of this machine\'s OS' -r
complete -c skiff -n "__fish_skiff_using_subcommand list-tags" -l override-variant -d 'choose images for VARIANT instead of this machine\'s architecture variant' -r
complete -c skiff -n "__fish_skiff_using_subcommand list-tags" -l policy -d 'path of the trust policy file' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand list-tags" -l registries.d -d 'read registry configuration (e.g. signature storage) from DIR' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand list-tags" -l registries-conf -r -F
complete -c skiff -n "__fish_skiff_using_subcommand list-tags" -l tmpdir -d 'directory for temporary files' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand list-tags" -l tls-details -d 'path to a containers-tls-details.yaml file (minimum TLS version, cipher suites, named groups)' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand list-tags" -l user-agent-prefix -d 'prefix to add to the User-Agent of registry requests' -r
complete -c skiff -n "__fish_skiff_using_subcommand list-tags" -l no-creds -d 'access the registry anonymously'
complete -c skiff -n "__fish_skiff_using_subcommand list-tags" -l debug -d 'print debugging information'
complete -c skiff -n "__fish_skiff_using_subcommand list-tags" -l insecure-policy -d 'do not consult the trust policy'
complete -c skiff -n "__fish_skiff_using_subcommand list-tags" -l require-signed -d 'require any pulled image to be signed, whatever the trust policy says'
complete -c skiff -n "__fish_skiff_using_subcommand list-tags" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand login" -l authfile -d 'path of the credentials file ($REGISTRY_AUTH_FILE overrides the default)' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand login" -l compat-auth-file -d 'update this Docker-compatible config.json instead of the credentials file, in Docker\'s format' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand login" -l cert-dir -d 'use certificates at PATH to reach the registry' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand login" -s p -l password -d 'password for the registry' -r
complete -c skiff -n "__fish_skiff_using_subcommand login" -l tls-verify -d 'require HTTPS and verify certificates when talking to the registry' -r
complete -c skiff -n "__fish_skiff_using_subcommand login" -s u -l username -d 'username for the registry' -r
complete -c skiff -n "__fish_skiff_using_subcommand login" -l command-timeout -d 'give up on the command after DURATION' -r
complete -c skiff -n "__fish_skiff_using_subcommand login" -l idle-timeout -d 'fail and retry a registry request after DURATION without any data moving (default 60s, 0 for never)' -r
complete -c skiff -n "__fish_skiff_using_subcommand login" -l override-arch -d 'choose images for ARCH instead of this machine\'s architecture' -r
complete -c skiff -n "__fish_skiff_using_subcommand login" -l override-os -d 'choose images for OS instead of this machine\'s OS' -r
complete -c skiff -n "__fish_skiff_using_subcommand login" -l override-variant -d 'choose images for VARIANT instead of this machine\'s architecture variant' -r
complete -c skiff -n "__fish_skiff_using_subcommand login" -l policy -d 'path of the trust policy file' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand login" -l registries.d -d 'read registry configuration (e.g. signature storage) from DIR' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand login" -l registries-conf -r -F
complete -c skiff -n "__fish_skiff_using_subcommand login" -l tmpdir -d 'directory for temporary files' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand login" -l tls-details -d 'path to a containers-tls-details.yaml file (minimum TLS version, cipher suites, named groups)' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand login" -l user-agent-prefix -d 'prefix to add to the User-Agent of registry requests' -r
complete -c skiff -n "__fish_skiff_using_subcommand login" -l get-login -d 'print the user logged in to the registry'
complete -c skiff -n "__fish_skiff_using_subcommand login" -l password-stdin -d 'read the password from standard input'
complete -c skiff -n "__fish_skiff_using_subcommand login" -s v -l verbose -d 'print more details'
complete -c skiff -n "__fish_skiff_using_subcommand login" -l debug -d 'print debugging information'
complete -c skiff -n "__fish_skiff_using_subcommand login" -l insecure-policy -d 'do not consult the trust policy'
complete -c skiff -n "__fish_skiff_using_subcommand login" -l require-signed -d 'require any pulled image to be signed, whatever the trust policy says'
complete -c skiff -n "__fish_skiff_using_subcommand login" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand logout" -l authfile -d 'path of the credentials file ($REGISTRY_AUTH_FILE overrides the default)' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand logout" -l compat-auth-file -d 'remove credentials from this Docker-compatible config.json instead of the credentials file' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand logout" -l tls-verify -d 'require HTTPS and verify certificates when talking to the registry' -r
complete -c skiff -n "__fish_skiff_using_subcommand logout" -l command-timeout -d 'give up on the command after DURATION' -r
complete -c skiff -n "__fish_skiff_using_subcommand logout" -l idle-timeout -d 'fail and retry a registry request after DURATION without any data moving (default 60s, 0 for never)' -r
complete -c skiff -n "__fish_skiff_using_subcommand logout" -l override-arch -d 'choose images for ARCH instead of this machine\'s architecture' -r
complete -c skiff -n "__fish_skiff_using_subcommand logout" -l override-os -d 'choose images for OS instead of this machine\'s OS' -r
complete -c skiff -n "__fish_skiff_using_subcommand logout" -l override-variant -d 'choose images for VARIANT instead of this machine\'s architecture variant' -r
complete -c skiff -n "__fish_skiff_using_subcommand logout" -l policy -d 'path of the trust policy file' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand logout" -l registries.d -d 'read registry configuration (e.g. signature storage) from DIR' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand logout" -l registries-conf -r -F
complete -c skiff -n "__fish_skiff_using_subcommand logout" -l tmpdir -d 'directory for temporary files' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand logout" -l tls-details -d 'path to a containers-tls-details.yaml file (minimum TLS version, cipher suites, named groups)' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand logout" -l user-agent-prefix -d 'prefix to add to the User-Agent of registry requests' -r
complete -c skiff -n "__fish_skiff_using_subcommand logout" -s a -l all -d 'remove the credentials of every registry in the credentials file'
complete -c skiff -n "__fish_skiff_using_subcommand logout" -l debug -d 'print debugging information'
complete -c skiff -n "__fish_skiff_using_subcommand logout" -l insecure-policy -d 'do not consult the trust policy'
complete -c skiff -n "__fish_skiff_using_subcommand logout" -l require-signed -d 'require any pulled image to be signed, whatever the trust policy says'
complete -c skiff -n "__fish_skiff_using_subcommand logout" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand manifest-digest" -l command-timeout -d 'give up on the command after DURATION' -r
complete -c skiff -n "__fish_skiff_using_subcommand manifest-digest" -l idle-timeout -d 'fail and retry a registry request after DURATION without any data moving (default 60s, 0 for never)' -r
complete -c skiff -n "__fish_skiff_using_subcommand manifest-digest" -l override-arch -d 'choose images for ARCH instead of this machine\'s architecture' -r
complete -c skiff -n "__fish_skiff_using_subcommand manifest-digest" -l override-os -d 'choose images for OS instead of this machine\'s OS' -r
complete -c skiff -n "__fish_skiff_using_subcommand manifest-digest" -l override-variant -d 'choose images for VARIANT instead of this machine\'s architecture variant' -r
complete -c skiff -n "__fish_skiff_using_subcommand manifest-digest" -l policy -d 'path of the trust policy file' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand manifest-digest" -l registries.d -d 'read registry configuration (e.g. signature storage) from DIR' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand manifest-digest" -l registries-conf -r -F
complete -c skiff -n "__fish_skiff_using_subcommand manifest-digest" -l tmpdir -d 'directory for temporary files' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand manifest-digest" -l tls-details -d 'path to a containers-tls-details.yaml file (minimum TLS version, cipher suites, named groups)' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand manifest-digest" -l user-agent-prefix -d 'prefix to add to the User-Agent of registry requests' -r
complete -c skiff -n "__fish_skiff_using_subcommand manifest-digest" -l debug -d 'print debugging information'
complete -c skiff -n "__fish_skiff_using_subcommand manifest-digest" -l insecure-policy -d 'do not consult the trust policy'
complete -c skiff -n "__fish_skiff_using_subcommand manifest-digest" -l require-signed -d 'require any pulled image to be signed, whatever the trust policy says'
complete -c skiff -n "__fish_skiff_using_subcommand manifest-digest" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand standalone-sign" -s o -l output -d 'write the signature to SIGNATURE' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand standalone-sign" -l passphrase-file -d 'read the key\'s passphrase from PATH' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand standalone-sign" -l command-timeout -d 'give up on the command after DURATION' -r
complete -c skiff -n "__fish_skiff_using_subcommand standalone-sign" -l idle-timeout -d 'fail and retry a registry request after DURATION without any data moving (default 60s, 0 for never)' -r
complete -c skiff -n "__fish_skiff_using_subcommand standalone-sign" -l override-arch -d 'choose images for ARCH instead of this machine\'s architecture' -r
complete -c skiff -n "__fish_skiff_using_subcommand standalone-sign" -l override-os -d 'choose images for OS instead of this machine\'s OS' -r
complete -c skiff -n "__fish_skiff_using_subcommand standalone-sign" -l override-variant -d 'choose images for VARIANT instead of this machine\'s architecture variant' -r
complete -c skiff -n "__fish_skiff_using_subcommand standalone-sign" -l policy -d 'path of the trust policy file' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand standalone-sign" -l registries.d -d 'read registry configuration (e.g. signature storage) from DIR' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand standalone-sign" -l registries-conf -r -F
complete -c skiff -n "__fish_skiff_using_subcommand standalone-sign" -l tmpdir -d 'directory for temporary files' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand standalone-sign" -l tls-details -d 'path to a containers-tls-details.yaml file (minimum TLS version, cipher suites, named groups)' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand standalone-sign" -l user-agent-prefix -d 'prefix to add to the User-Agent of registry requests' -r
complete -c skiff -n "__fish_skiff_using_subcommand standalone-sign" -l debug -d 'print debugging information'
complete -c skiff -n "__fish_skiff_using_subcommand standalone-sign" -l insecure-policy -d 'do not consult the trust policy'
complete -c skiff -n "__fish_skiff_using_subcommand standalone-sign" -l require-signed -d 'require any pulled image to be signed, whatever the trust policy says'
complete -c skiff -n "__fish_skiff_using_subcommand standalone-sign" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand standalone-verify" -l public-key-file -d 'verify with the public keys in PATH' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand standalone-verify" -l command-timeout -d 'give up on the command after DURATION' -r
complete -c skiff -n "__fish_skiff_using_subcommand standalone-verify" -l idle-timeout -d 'fail and retry a registry request after DURATION without any data moving (default 60s, 0 for never)' -r
complete -c skiff -n "__fish_skiff_using_subcommand standalone-verify" -l override-arch -d 'choose images for ARCH instead of this machine\'s architecture' -r
complete -c skiff -n "__fish_skiff_using_subcommand standalone-verify" -l override-os -d 'choose images for OS instead of this machine\'s OS' -r
complete -c skiff -n "__fish_skiff_using_subcommand standalone-verify" -l override-variant -d 'choose images for VARIANT instead of this machine\'s architecture variant' -r
complete -c skiff -n "__fish_skiff_using_subcommand standalone-verify" -l policy -d 'path of the trust policy file' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand standalone-verify" -l registries.d -d 'read registry configuration (e.g. signature storage) from DIR' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand standalone-verify" -l registries-conf -r -F
complete -c skiff -n "__fish_skiff_using_subcommand standalone-verify" -l tmpdir -d 'directory for temporary files' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand standalone-verify" -l tls-details -d 'path to a containers-tls-details.yaml file (minimum TLS version, cipher suites, named groups)' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand standalone-verify" -l user-agent-prefix -d 'prefix to add to the User-Agent of registry requests' -r
complete -c skiff -n "__fish_skiff_using_subcommand standalone-verify" -l debug -d 'print debugging information'
complete -c skiff -n "__fish_skiff_using_subcommand standalone-verify" -l insecure-policy -d 'do not consult the trust policy'
complete -c skiff -n "__fish_skiff_using_subcommand standalone-verify" -l require-signed -d 'require any pulled image to be signed, whatever the trust policy says'
complete -c skiff -n "__fish_skiff_using_subcommand standalone-verify" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l authfile -d 'path of the registry credentials file (default ${XDG_RUNTIME_DIR}/containers/auth.json)' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l src-authfile -d 'path of the registry credentials file (source)' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l dest-authfile -d 'path of the registry credentials file (destination)' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l src-creds -d 'Use USERNAME[:PASSWORD] to access the registry (source)' -r
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l src-username -d 'username to access the registry (source)' -r
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l src-password -d 'password to access the registry (source)' -r
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l src-registry-token -d 'a Bearer token to access the registry (source)' -r
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l src-cert-dir -d 'use certificates at PATH (*.crt, *.cert, *.key) to reach the registry or daemon (source)' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l src-tls-verify -d 'require HTTPS and verify certificates when talking to the registry or daemon (source)' -r
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l src-shared-blob-dir -d 'DIRECTORY shared by OCI layouts for their blobs (source)' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l src-daemon-host -d 'use the docker daemon at HOST (docker-daemon: only) (source)' -r
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l dest-creds -d 'Use USERNAME[:PASSWORD] to access the registry (destination)' -r
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l dest-username -d 'username to access the registry (destination)' -r
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l dest-password -d 'password to access the registry (destination)' -r
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l dest-registry-token -d 'a Bearer token to access the registry (destination)' -r
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l dest-cert-dir -d 'use certificates at PATH (*.crt, *.cert, *.key) to reach the registry or daemon (destination)' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l dest-tls-verify -d 'require HTTPS and verify certificates when talking to the registry or daemon (destination)' -r
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l dest-shared-blob-dir -d 'DIRECTORY shared by OCI layouts for their blobs (destination)' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l dest-daemon-host -d 'use the docker daemon at HOST (docker-daemon: only) (destination)' -r
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l tls-verify -r
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l retry-times -d 'how many times to retry a failed operation' -r
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l retry-delay -d 'fixed delay between retries (default: exponential backoff)' -r
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l sign-by -d 'sign the image with the GPG key FINGERPRINT' -r
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l sign-by-sq-fingerprint -d 'sign the image with the Sequoia-PGP key FINGERPRINT (from the Sequoia home: SEQUOIA_HOME, else the default)' -r
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l sign-by-sigstore -d 'sign the image using the sigstore parameter file PATH (a private key, or Fulcio with a static OIDC token; optionally Rekor)' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l sign-by-sigstore-private-key -d 'sign the image with the sigstore private key at PATH' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l sign-passphrase-file -d 'read the signing key\'s passphrase from PATH' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand sync" -s f -l format -d 'manifest type (oci, v2s1, or v2s2) for the destination (default: the source\'s, with fallbacks)' -r
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l referrers-artifact-type -d 'with --referrers, only referrers of this artifact type (repeatable; not in skopeo)' -r
complete -c skiff -n "__fish_skiff_using_subcommand sync" -s s -l src -d 'SOURCE transport: docker, dir, yaml or oci' -r
complete -c skiff -n "__fish_skiff_using_subcommand sync" -s d -l dest -d 'DESTINATION transport: docker, dir or oci' -r
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l append-suffix -d 'add SUFFIX to destination image names' -r
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l digestfile -d 'write the digest and name of every copied image to PATH, one per line' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l progress -d 'progress on stderr: auto (bars on a terminal, lines elsewhere), plain (lines), or json (one object per event)' -r -f -a "auto\t''
plain\t''
json\t''"
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l progress-interval -d 'how often a line shows each active blob\'s progress off a terminal (default 30s; 1s with --progress=json); 0 turns it off' -r
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l parallel-images -d 'how many images to copy at once (default 6)' -r
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l shard -d 'copy only share I (0 to N-1) of N; N processes with I = 0…N-1 copy every image once (default: JOB_COMPLETION_INDEX/JOB_COMPLETIONS when set)' -r
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l report -d 'write a JSON report (each image\'s source, destination, digest, result, bytes, duration) to FILE (- for stdout)' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l include-tag -d 'copy only tags matching REGEX (matched anywhere in the tag; anchor with ^…$)' -r
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l exclude-tag -d 'do not copy tags matching REGEX' -r
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l semver -d 'copy only tags that are semantic versions within RANGE (e.g. ">=1.2, <2", as images-by-semver)' -r
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l command-timeout -d 'give up on the command after DURATION' -r
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l idle-timeout -d 'fail and retry a registry request after DURATION without any data moving (default 60s, 0 for never)' -r
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l override-arch -d 'choose images for ARCH instead of this machine\'s architecture' -r
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l override-os -d 'choose images for OS instead of this machine\'s OS' -r
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l override-variant -d 'choose images for VARIANT instead of this machine\'s architecture variant' -r
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l policy -d 'path of the trust policy file' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l registries.d -d 'read registry configuration (e.g. signature storage) from DIR' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l registries-conf -r -F
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l tmpdir -d 'directory for temporary files' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l tls-details -d 'path to a containers-tls-details.yaml file (minimum TLS version, cipher suites, named groups)' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l user-agent-prefix -d 'prefix to add to the User-Agent of registry requests' -r
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l src-no-creds -d 'access the registry anonymously (source)'
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l dest-no-creds -d 'access the registry anonymously (destination)'
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l remove-signatures -d 'do not copy signatures'
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l preserve-digests -d 'refuse any change that would alter image or list digests'
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l referrers -d 'also copy the image\'s OCI 1.1 referrers (signatures, SBOMs, attestations), recursively, digests preserved; registries only (not in skopeo)'
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l cosign-tags -d 'also copy cosign\'s legacy sha256-DIGEST.sig, .att and .sbom tags of the image; registries only (not in skopeo)'
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l scoped -d 'name destination images with the full source path as scope'
complete -c skiff -n "__fish_skiff_using_subcommand sync" -s a -l all -d 'copy every image of a list, and the list'
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l dry-run -d 'show what would be copied without copying'
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l keep-going -d 'go on after an image fails to copy'
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l prune -d 'delete the destination tags of the mirrored repositories that the source no longer has (with --dry-run: list them)'
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l debug -d 'print debugging information'
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l insecure-policy -d 'do not consult the trust policy'
complete -c skiff -n "__fish_skiff_using_subcommand sync" -l require-signed -d 'require any pulled image to be signed, whatever the trust policy says'
complete -c skiff -n "__fish_skiff_using_subcommand sync" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand untrusted-signature-dump-without-verification" -l command-timeout -d 'give up on the command after DURATION' -r
complete -c skiff -n "__fish_skiff_using_subcommand untrusted-signature-dump-without-verification" -l idle-timeout -d 'fail and retry a registry request after DURATION without any data moving (default 60s, 0 for never)' -r
complete -c skiff -n "__fish_skiff_using_subcommand untrusted-signature-dump-without-verification" -l override-arch -d 'choose images for ARCH instead of this machine\'s architecture' -r
complete -c skiff -n "__fish_skiff_using_subcommand untrusted-signature-dump-without-verification" -l override-os -d 'choose images for OS instead of this machine\'s OS' -r
complete -c skiff -n "__fish_skiff_using_subcommand untrusted-signature-dump-without-verification" -l override-variant -d 'choose images for VARIANT instead of this machine\'s architecture variant' -r
complete -c skiff -n "__fish_skiff_using_subcommand untrusted-signature-dump-without-verification" -l policy -d 'path of the trust policy file' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand untrusted-signature-dump-without-verification" -l registries.d -d 'read registry configuration (e.g. signature storage) from DIR' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand untrusted-signature-dump-without-verification" -l registries-conf -r -F
complete -c skiff -n "__fish_skiff_using_subcommand untrusted-signature-dump-without-verification" -l tmpdir -d 'directory for temporary files' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand untrusted-signature-dump-without-verification" -l tls-details -d 'path to a containers-tls-details.yaml file (minimum TLS version, cipher suites, named groups)' -r -F
complete -c skiff -n "__fish_skiff_using_subcommand untrusted-signature-dump-without-verification" -l user-agent-prefix -d 'prefix to add to the User-Agent of registry requests' -r
complete -c skiff -n "__fish_skiff_using_subcommand untrusted-signature-dump-without-verification" -l debug -d 'print debugging information'
complete -c skiff -n "__fish_skiff_using_subcommand untrusted-signature-dump-without-verification" -l insecure-policy -d 'do not consult the trust policy'
complete -c skiff -n "__fish_skiff_using_subcommand untrusted-signature-dump-without-verification" -l require-signed -d 'require any pulled image to be signed, whatever the trust policy says'
complete -c skiff -n "__fish_skiff_using_subcommand untrusted-signature-dump-without-verification" -s h -l help -d 'Print help'
complete -c skiff -n "__fish_skiff_using_subcommand help; and not __fish_seen_subcommand_from completion copy delete experimental-image-proxy generate-sigstore-key inspect layers list-repos list-tags login logout manifest-digest standalone-sign standalone-verify sync untrusted-signature-dump-without-verification help" -f -a "completion" -d 'Generate the shell completion script for bash, fish, powershell or zsh'
complete -c skiff -n "__fish_skiff_using_subcommand help; and not __fish_seen_subcommand_from completion copy delete experimental-image-proxy generate-sigstore-key inspect layers list-repos list-tags login logout manifest-digest standalone-sign standalone-verify sync untrusted-signature-dump-without-verification help" -f -a "copy" -d 'Copy an IMAGE-NAME from one location to another'
complete -c skiff -n "__fish_skiff_using_subcommand help; and not __fish_seen_subcommand_from completion copy delete experimental-image-proxy generate-sigstore-key inspect layers list-repos list-tags login logout manifest-digest standalone-sign standalone-verify sync untrusted-signature-dump-without-verification help" -f -a "delete" -d 'Delete image IMAGE-NAME'
complete -c skiff -n "__fish_skiff_using_subcommand help; and not __fish_seen_subcommand_from completion copy delete experimental-image-proxy generate-sigstore-key inspect layers list-repos list-tags login logout manifest-digest standalone-sign standalone-verify sync untrusted-signature-dump-without-verification help" -f -a "experimental-image-proxy" -d 'Interactive proxy for fetching container images (EXPERIMENTAL)'
complete -c skiff -n "__fish_skiff_using_subcommand help; and not __fish_seen_subcommand_from completion copy delete experimental-image-proxy generate-sigstore-key inspect layers list-repos list-tags login logout manifest-digest standalone-sign standalone-verify sync untrusted-signature-dump-without-verification help" -f -a "generate-sigstore-key" -d 'Generate a sigstore public/private key pair'
complete -c skiff -n "__fish_skiff_using_subcommand help; and not __fish_seen_subcommand_from completion copy delete experimental-image-proxy generate-sigstore-key inspect layers list-repos list-tags login logout manifest-digest standalone-sign standalone-verify sync untrusted-signature-dump-without-verification help" -f -a "inspect" -d 'Inspect image IMAGE-NAME'
complete -c skiff -n "__fish_skiff_using_subcommand help; and not __fish_seen_subcommand_from completion copy delete experimental-image-proxy generate-sigstore-key inspect layers list-repos list-tags login logout manifest-digest standalone-sign standalone-verify sync untrusted-signature-dump-without-verification help" -f -a "layers" -d 'Get layers of IMAGE-NAME (deprecated in skopeo in favor of copy)'
complete -c skiff -n "__fish_skiff_using_subcommand help; and not __fish_seen_subcommand_from completion copy delete experimental-image-proxy generate-sigstore-key inspect layers list-repos list-tags login logout manifest-digest standalone-sign standalone-verify sync untrusted-signature-dump-without-verification help" -f -a "list-repos" -d 'List the repositories of a registry (not in skopeo)'
complete -c skiff -n "__fish_skiff_using_subcommand help; and not __fish_seen_subcommand_from completion copy delete experimental-image-proxy generate-sigstore-key inspect layers list-repos list-tags login logout manifest-digest standalone-sign standalone-verify sync untrusted-signature-dump-without-verification help" -f -a "list-tags" -d 'List the tags of the repository or archive SOURCE-IMAGE'
complete -c skiff -n "__fish_skiff_using_subcommand help; and not __fish_seen_subcommand_from completion copy delete experimental-image-proxy generate-sigstore-key inspect layers list-repos list-tags login logout manifest-digest standalone-sign standalone-verify sync untrusted-signature-dump-without-verification help" -f -a "login" -d 'Log in to a container registry'
complete -c skiff -n "__fish_skiff_using_subcommand help; and not __fish_seen_subcommand_from completion copy delete experimental-image-proxy generate-sigstore-key inspect layers list-repos list-tags login logout manifest-digest standalone-sign standalone-verify sync untrusted-signature-dump-without-verification help" -f -a "logout" -d 'Log out of a container registry'
complete -c skiff -n "__fish_skiff_using_subcommand help; and not __fish_seen_subcommand_from completion copy delete experimental-image-proxy generate-sigstore-key inspect layers list-repos list-tags login logout manifest-digest standalone-sign standalone-verify sync untrusted-signature-dump-without-verification help" -f -a "manifest-digest" -d 'Compute the manifest digest of a file'
complete -c skiff -n "__fish_skiff_using_subcommand help; and not __fish_seen_subcommand_from completion copy delete experimental-image-proxy generate-sigstore-key inspect layers list-repos list-tags login logout manifest-digest standalone-sign standalone-verify sync untrusted-signature-dump-without-verification help" -f -a "standalone-sign" -d 'Create a signature using local files'
complete -c skiff -n "__fish_skiff_using_subcommand help; and not __fish_seen_subcommand_from completion copy delete experimental-image-proxy generate-sigstore-key inspect layers list-repos list-tags login logout manifest-digest standalone-sign standalone-verify sync untrusted-signature-dump-without-verification help" -f -a "standalone-verify" -d 'Verify a signature using local files'
complete -c skiff -n "__fish_skiff_using_subcommand help; and not __fish_seen_subcommand_from completion copy delete experimental-image-proxy generate-sigstore-key inspect layers list-repos list-tags login logout manifest-digest standalone-sign standalone-verify sync untrusted-signature-dump-without-verification help" -f -a "sync" -d 'Synchronize one or more images from one location to another'
complete -c skiff -n "__fish_skiff_using_subcommand help; and not __fish_seen_subcommand_from completion copy delete experimental-image-proxy generate-sigstore-key inspect layers list-repos list-tags login logout manifest-digest standalone-sign standalone-verify sync untrusted-signature-dump-without-verification help" -f -a "untrusted-signature-dump-without-verification" -d 'Dump contents of a signature WITHOUT VERIFYING IT'
complete -c skiff -n "__fish_skiff_using_subcommand help; and not __fish_seen_subcommand_from completion copy delete experimental-image-proxy generate-sigstore-key inspect layers list-repos list-tags login logout manifest-digest standalone-sign standalone-verify sync untrusted-signature-dump-without-verification help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c skiff -n "__fish_skiff_using_subcommand help; and __fish_seen_subcommand_from completion" -f -a "bash" -d 'Generate the completion script for bash'
complete -c skiff -n "__fish_skiff_using_subcommand help; and __fish_seen_subcommand_from completion" -f -a "fish" -d 'Generate the completion script for fish'
complete -c skiff -n "__fish_skiff_using_subcommand help; and __fish_seen_subcommand_from completion" -f -a "powershell" -d 'Generate the completion script for powershell'
complete -c skiff -n "__fish_skiff_using_subcommand help; and __fish_seen_subcommand_from completion" -f -a "zsh" -d 'Generate the completion script for zsh'
