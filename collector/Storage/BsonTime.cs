using LiteDB;

namespace Fleet502.Collector.Storage;

/// <summary>LiteDB keeps DateTime to the millisecond; the collector speaks DateTimeOffset in UTC.</summary>
internal static class BsonTime
{
    public static BsonValue From(DateTimeOffset time) => new(time.UtcDateTime);

    public static BsonValue From(DateTimeOffset? time) => time is { } t ? From(t) : BsonValue.Null;

    public static DateTimeOffset To(BsonValue value) =>
        new(DateTime.SpecifyKind(value.AsDateTime, DateTimeKind.Utc));

    /// <summary>Sortable text of a UTC time, to the 100 ns: the prefix of the unique "tkey" indexes.</summary>
    public static string Key(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff", System.Globalization.CultureInfo.InvariantCulture);

    public static DateTimeOffset? ToNullable(BsonValue value) => value.IsNull ? null : To(value);
}
