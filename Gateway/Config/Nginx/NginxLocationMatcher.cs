using System.Text.RegularExpressions;

namespace Gateway.Config.Nginx;

/// <summary>
/// nginx's location selection (ngx_http_core_find_location): an exact <c>=</c> match wins at once; otherwise the
/// longest matching prefix is remembered and its nested locations searched the same way; then, unless that prefix
/// was <c>^~</c>, the regexes of this level are tried in config order and the first match wins; else the remembered
/// prefix. Prefixes compare case-sensitively, as on Linux.
/// </summary>
public static class NginxLocationMatcher
{
    public static (NginxLocation? Location, Match? Captures) Find(IReadOnlyList<NginxLocation> locations, string uri)
    {
        var (location, match, _) = FindIn(locations, uri);
        return (location, match);
    }

    private static (NginxLocation? Location, Match? Captures, bool Final) FindIn(IReadOnlyList<NginxLocation> locations, string uri)
    {
        NginxLocation? prefix = null;
        foreach (var l in locations)
        {
            if (l.Kind == NginxLocationKind.Exact && l.Name == uri)
            {
                return (l, null, true);
            }

            if (l.Kind is NginxLocationKind.Prefix or NginxLocationKind.PrefixNoRegex
                && uri.StartsWith(l.Name, StringComparison.Ordinal) && (prefix is null || l.Name.Length > prefix.Name.Length))
            {
                prefix = l;
            }
        }

        NginxLocation? found = prefix;
        Match? captures = null;
        var noRegex = false;
        if (prefix is not null)
        {
            noRegex = prefix.Kind == NginxLocationKind.PrefixNoRegex;
            if (prefix.Children.Count > 0)
            {
                var nested = FindIn(prefix.Children, uri);
                if (nested.Final)
                {
                    return nested;
                }

                if (nested.Location is not null)
                {
                    (found, captures) = (nested.Location, nested.Captures);
                }
            }
        }

        if (!noRegex)
        {
            foreach (var l in locations)
            {
                if (l.Regex is not null && l.Regex.Match(uri) is { Success: true } m)
                {
                    if (l.Children.Count > 0 && FindIn(l.Children, uri) is { Location: not null } inner)
                    {
                        return (inner.Location, inner.Captures ?? m, true);
                    }

                    return (l, m, true);
                }
            }
        }

        return (found, captures, false);
    }
}
