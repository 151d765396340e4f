using System.Text.RegularExpressions;

namespace Gateway.Tests.K8s;

/// <summary>
/// The metric names a PromQL expression reads: identifiers left after removing strings, label matchers,
/// ranges, grouping clauses and function calls. Enough for the rules and queries in k8s/ (not a full parser).
/// </summary>
internal static partial class PromQlNames
{
    private static readonly HashSet<string> s_keywords = new(StringComparer.Ordinal)
    {
        "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset", "inf", "nan",
    };

    public static IEnumerable<string> Of(string expr)
    {
        var text = Strings().Replace(expr, "");
        text = Braces().Replace(text, " ");
        text = Ranges().Replace(text, " ");
        text = Grouping().Replace(text, " ");
        return Identifiers().Matches(text).Select(m => m.Groups[1].Value).Where(name => !s_keywords.Contains(name)).Distinct();
    }

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"")]
    private static partial Regex Strings();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Braces();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Ranges();

    [GeneratedRegex(@"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex Grouping();

    // An identifier not followed by "(" (a function) and not part of a number.
    [GeneratedRegex(@"(?<![\w.])([A-Za-z_:][A-Za-z0-9_:]*)\b(?!\s*\()")]
    private static partial Regex Identifiers();
}
