namespace Gateway.Config;

/// <summary>One problem in a config file: where it is, what is wrong, and how to fix it.</summary>
public sealed record ConfigError(string File, int Line, int Column, string Problem, string Fix)
{
    /// <summary>The compiler-style line users grep for: <c>file:line:column: problem Fix: how.</c></summary>
    public override string ToString() => $"{File}:{Line}:{Column}: {Problem} Fix: {Fix}";
}
