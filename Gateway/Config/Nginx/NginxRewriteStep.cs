using System.Text.RegularExpressions;

namespace Gateway.Config.Nginx;

/// <summary>
/// One step of nginx's rewrite phase: <c>set $var value</c>, or <c>if (condition) { set ...; return ...; }</c>.
/// A condition is a variable (true unless empty or "0"), <c>$v = text</c>, <c>$v != text</c>, or <c>$v ~ re</c> /
/// <c>~*</c> / <c>!~</c> / <c>!~*</c>.
/// </summary>
public sealed record NginxRewriteStep
{
    public string? SetVariable { get; init; }

    public NginxTemplate? SetValue { get; init; }

    public NginxTemplate? Subject { get; init; }

    public string? Operator { get; init; }

    public NginxTemplate? Operand { get; init; }

    public Regex? Pattern { get; init; }

    public IReadOnlyList<NginxRewriteStep> Then { get; init; } = [];

    public NginxReturn? Return { get; init; }

    public bool IsIf => Subject is not null;
}
