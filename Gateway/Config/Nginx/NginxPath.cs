namespace Gateway.Config.Nginx;

/// <summary>
/// A path a directive names, made absolute against the prefix as nginx does. A NUL byte cannot be in a file name; the
/// fuzzer found it throwing ArgumentException out of the translator (access_log, root, then ssl_certificate), so every
/// path argument goes through here and a NUL is nginx-style <c>invalid path</c> at the directive's line.
/// </summary>
internal static class NginxPath
{
    /// <summary><paramref name="path"/> if a file can have that name; otherwise an error at <paramref name="directive"/>.</summary>
    public static string Checked(NginxDirective directive, string path) =>
        path.Contains('\0', StringComparison.Ordinal)
            ? throw NginxConfigException.At(directive, $"invalid path \"{path.Replace("\0", "\\0", StringComparison.Ordinal)}\"")
            : path;

    public static string Full(NginxDirective directive, string path, string prefix) =>
        Path.IsPathRooted(Checked(directive, path)) ? path : Path.GetFullPath(Path.Combine(prefix, path));
}
