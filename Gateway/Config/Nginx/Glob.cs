namespace Gateway.Config.Nginx;

/// <summary>fnmatch(3) for one path segment, as glob(3) uses it for nginx's <c>include</c>: <c>*</c>, <c>?</c>, <c>[a-z]</c>, <c>[!x]</c>.</summary>
internal static class Glob
{
    public static bool IsMatch(string name, string pattern)
    {
        if (name.StartsWith('.') && !pattern.StartsWith('.'))
        {
            return false;
        }

        return Match(name.AsSpan(), pattern.AsSpan());
    }

    private static bool Match(ReadOnlySpan<char> name, ReadOnlySpan<char> pattern)
    {
        while (pattern.Length > 0)
        {
            switch (pattern[0])
            {
                case '*':
                    for (var i = 0; i <= name.Length; i++)
                    {
                        if (Match(name[i..], pattern[1..]))
                        {
                            return true;
                        }
                    }

                    return false;
                case '?':
                    if (name.Length == 0)
                    {
                        return false;
                    }

                    break;
                case '[' when pattern.IndexOf(']') > 1:
                    var close = pattern[2..].IndexOf(']') + 2;
                    if (name.Length == 0 || !InClass(name[0], pattern[1..close]))
                    {
                        return false;
                    }

                    name = name[1..];
                    pattern = pattern[(close + 1)..];
                    continue;
                default:
                    if (name.Length == 0 || name[0] != pattern[0])
                    {
                        return false;
                    }

                    break;
            }

            name = name[1..];
            pattern = pattern[1..];
        }

        return name.Length == 0;
    }

    private static bool InClass(char c, ReadOnlySpan<char> set)
    {
        var negate = set.Length > 0 && set[0] is '!' or '^';
        if (negate)
        {
            set = set[1..];
        }

        var found = false;
        for (var i = 0; i < set.Length; i++)
        {
            if (i + 2 < set.Length && set[i + 1] == '-')
            {
                found |= c >= set[i] && c <= set[i + 2];
                i += 2;
            }
            else
            {
                found |= c == set[i];
            }
        }

        return found != negate;
    }
}
