namespace Gateway.Config.Nginx;

public enum NginxLocationKind
{
    /// <summary><c>location /x</c>: longest prefix, then regexes may still win.</summary>
    Prefix,

    /// <summary><c>location ^~ /x</c>: longest prefix, and no regex is tried when it is the longest.</summary>
    PrefixNoRegex,

    /// <summary><c>location = /x</c>: only this exact URI; wins at once.</summary>
    Exact,

    /// <summary><c>location ~ re</c>.</summary>
    Regex,

    /// <summary><c>location ~* re</c>.</summary>
    RegexCaseless,

    /// <summary><c>location @name</c>: only reachable by name.</summary>
    Named,
}
