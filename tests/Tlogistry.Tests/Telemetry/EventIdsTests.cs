using System.Reflection;
using Microsoft.Extensions.Logging;
using Tlogistry.Telemetry;

namespace Tlogistry.Tests.Telemetry;

/// <summary>One number, one message: log event IDs are named in one place and never shared.</summary>
public sealed class EventIdsTests
{
    private static readonly Assembly Tlogistry = typeof(EventIds).Assembly;

    [Fact]
    public void NoTwoLogMessagesShareAnEventId()
    {
        var messages = LoggerMessages().ToList();
        Assert.NotEmpty(messages);

        var shared = messages.GroupBy(m => m.Id).Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(m => m.Method))}").ToList();
        Assert.True(shared.Count == 0, "event IDs used by more than one message: " + string.Join("; ", shared));
    }

    [Fact]
    public void EveryLogMessageTakesItsIdFromEventIds()
    {
        var named = Constants().Select(c => c.Value).ToHashSet();

        var unnamed = LoggerMessages().Where(m => !named.Contains(m.Id)).Select(m => $"{m.Method} ({m.Id})").ToList();
        Assert.True(unnamed.Count == 0, "messages whose event ID is not in EventIds: " + string.Join(", ", unnamed));
    }

    [Fact]
    public void NoTwoNamesInEventIdsShareANumberAndEachIsUsed()
    {
        var constants = Constants().ToList();
        var shared = constants.GroupBy(c => c.Value).Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(c => c.Name))}").ToList();
        Assert.True(shared.Count == 0, "numbers named twice: " + string.Join("; ", shared));

        var used = LoggerMessages().Select(m => m.Id).ToHashSet();
        var unused = constants.Where(c => !used.Contains(c.Value)).Select(c => c.Name).ToList();
        Assert.True(unused.Count == 0, "names no message uses: " + string.Join(", ", unused));
    }

    [Fact]
    public void EachAreaKeepsToItsRange()
    {
        var ranges = new Dictionary<string, (int Low, int High)>
        {
            [nameof(EventIds.Host)] = (1, 999),
            [nameof(EventIds.Upstream)] = (1000, 1999),
            [nameof(EventIds.Ledger)] = (2000, 2999),
            [nameof(EventIds.Transparency)] = (3000, 3999),
            [nameof(EventIds.Registry)] = (4000, 4099),
            [nameof(EventIds.LogServer)] = (4100, 4199),
            [nameof(EventIds.Signing)] = (4200, 4299),
            [nameof(EventIds.Notify)] = (4400, 4499),
        };

        foreach (var (name, value) in Constants())
        {
            var area = name[..name.IndexOf('.', StringComparison.Ordinal)];
            Assert.True(ranges.TryGetValue(area, out var range), $"{name}: an area with no range");
            Assert.InRange(value, range.Low, range.High);
        }
    }

    /// <summary>Every source-generated log method of the assembly, with its event ID.</summary>
    private static IEnumerable<(string Method, int Id)> LoggerMessages() =>
        from type in Tlogistry.GetTypes()
        from method in type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly)
        let attribute = method.GetCustomAttribute<LoggerMessageAttribute>()
        where attribute is not null
        select ($"{type.FullName}.{method.Name}", attribute.EventId);

    private static IEnumerable<(string Name, int Value)> Constants() =>
        from area in typeof(EventIds).GetNestedTypes()
        from field in area.GetFields(BindingFlags.Public | BindingFlags.Static)
        where field.IsLiteral && field.FieldType == typeof(int)
        select ($"{area.Name}.{field.Name}", (int)field.GetRawConstantValue()!);
}
