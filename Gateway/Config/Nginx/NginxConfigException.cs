namespace Gateway.Config.Nginx;

/// <summary>
/// An nginx configuration nginx would refuse, with nginx's own wording: <c>unknown directive "foo" in
/// /etc/nginx/nginx.conf:12</c>. Like nginx, the first problem stops the check.
/// </summary>
public sealed class NginxConfigException : Exception
{
    public NginxConfigException(string problem, string file, int line)
        : base($"{problem} in {file}:{line}")
    {
        Problem = problem;
        File = file;
        Line = line;
    }

    public NginxConfigException(string message)
        : base(message)
    {
        Problem = message;
        File = "";
    }

    public NginxConfigException() : this("invalid configuration") { }

    public NginxConfigException(string message, Exception inner)
        : base(message, inner)
    {
        Problem = message;
        File = "";
    }

    public string Problem { get; }

    public string File { get; }

    public int Line { get; }

    public static NginxConfigException At(NginxDirective directive, string problem) => new(problem, directive.File, directive.Line);

    /// <summary>The line <c>nginx -t</c> prints: <c>nginx: [emerg] ...</c>.</summary>
    public string Emerg => $"nginx: [emerg] {Message}";
}
