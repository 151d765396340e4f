namespace Gateway.Config.Nginx;

/// <summary>Runs a level's rewrite-phase steps (<c>set</c>, <c>if</c>) in order; returns the first <c>return</c> met.</summary>
public static class NginxRewriter
{
    public static NginxReturn? Run(IReadOnlyList<NginxRewriteStep> steps, NginxRequestState state)
    {
        foreach (var step in steps)
        {
            if (step.SetVariable is { } name)
            {
                state.Set[name] = step.SetValue!.Evaluate(state);
                continue;
            }

            if (!step.IsIf)
            {
                return step.Return; // a plain return ends the phase
            }

            if (!Holds(step, state))
            {
                continue;
            }

            // nginx runs the if block's directives in order; a return there ends the phase.
            if (Run(step.Then, state) is { } inner)
            {
                return inner;
            }
        }

        return null;
    }

    private static bool Holds(NginxRewriteStep step, NginxRequestState state)
    {
        var subject = step.Subject!.Evaluate(state);
        switch (step.Operator)
        {
            case null:
                return subject.Length > 0 && subject != "0";
            case "=":
                return subject == step.Operand!.Evaluate(state);
            case "!=":
                return subject != step.Operand!.Evaluate(state);
        }

        var match = step.Pattern!.Match(subject);
        if (match.Success && !step.Operator.StartsWith('!'))
        {
            state.Captures = match.Groups;
        }

        return match.Success != step.Operator.StartsWith('!');
    }
}
