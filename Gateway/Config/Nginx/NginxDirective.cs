namespace Gateway.Config.Nginx;

/// <summary>
/// One directive of an nginx configuration: its name, its arguments (quotes removed, escapes resolved, variables
/// left as written), its block when it has one, and where it was written (for nginx -t style errors).
/// </summary>
public sealed record NginxDirective(string Name, IReadOnlyList<string> Args, IReadOnlyList<NginxDirective>? Block, string File, int Line)
{
    public string Where => $"{File}:{Line}";

    /// <summary>The line of a block's closing brace (nginx reports some block errors there).</summary>
    public int EndLine { get; init; }

    /// <summary>The directives of the block named <paramref name="name"/> (none when there is no block).</summary>
    public IEnumerable<NginxDirective> Children(string name) =>
        (Block ?? []).Where(d => string.Equals(d.Name, name, StringComparison.Ordinal));

    public NginxDirective? Child(string name) => Children(name).LastOrDefault();
}
