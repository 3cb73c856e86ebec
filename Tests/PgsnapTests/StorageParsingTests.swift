import Testing

@testable import Storage

@Suite("Parsing what the kernel and LVM report", .unit)
struct StorageParsingTests {
    static let mountinfo = """
        22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
        30 22 253:3 / /srv/pg\\040data rw,relatime shared:2 - xfs /dev/mapper/vg--db-data rw,attr2
        31 30 253:4 / /srv/pg\\040data/tblspc rw shared:3 - ext4 /dev/mapper/vg--db-ts1 rw
        40 22 0:45 /@home /home rw - btrfs /dev/vdb rw
        """

    @Test func mountinfoFieldsAndEscapes() {
        let table = MountTable.parse(Self.mountinfo)
        #expect(table.entries.count == 4)
        let data = table.entries[1]
        #expect(data.device == DeviceNumber(major: 253, minor: 3))
        #expect(data.mountPoint == "/srv/pg data")
        #expect(data.filesystemType == "xfs")
        #expect(data.source == "/dev/mapper/vg--db-data")
        #expect(table.entries[3].root == "/@home")
    }

    @Test func mountLookupUsesDeviceAndLongestPrefix() {
        let table = MountTable.parse(Self.mountinfo)
        let nested = table.mount(containing: "/srv/pg data/tblspc/PG_15", device: DeviceNumber(major: 253, minor: 4))
        #expect(nested?.mountPoint == "/srv/pg data/tblspc")
        let base = table.mount(containing: "/srv/pg data/base/1", device: DeviceNumber(major: 253, minor: 3))
        #expect(base?.mountPoint == "/srv/pg data")
        #expect(table.mount(containing: "/srv/pg database", device: DeviceNumber(major: 253, minor: 3)) == nil)
        #expect(MountTable.isPath("/a/b", inside: "/a"))
        #expect(!MountTable.isPath("/ab", inside: "/a"))
    }

    @Test func procDevicesFindsDeviceMapperOrNot() {
        let with = KernelDevices.parse(
            "Character devices:\n  1 mem\n\nBlock devices:\n  7 loop\n253 device-mapper\n254 virtblk\n")
        #expect(with.deviceMapperMajor == 253)
        let without = KernelDevices.parse(
            "Character devices:\n 10 misc\n253 device-mapper\n\nBlock devices:\n  7 loop\n")
        #expect(without.deviceMapperMajor == nil, "a character driver of that name must not count")
    }

    @Test func deviceNumberFromDevT() {
        // makedev(253, 3) and a large minor (makedev(259, 300000)).
        #expect(DeviceNumber(UInt64(0xfd03)) == DeviceNumber(major: 253, minor: 3))
        let big = (UInt64(300000 & 0xff)) | (UInt64(259) << 8) | (UInt64(300000 & ~0xff) << 12)
        #expect(DeviceNumber(big) == DeviceNumber(major: 259, minor: 300000))
    }

    @Test func lvsRowsBecomeVolumes() throws {
        let rows = [
            "  LVM2_VG_NAME='vg-db' LVM2_LV_NAME='data' LVM2_LV_UUID='u1' LVM2_SEGTYPE='linear' LVM2_LV_ATTR='-wi-ao----' LVM2_POOL_LV='' LVM2_ORIGIN='' LVM2_LV_SIZE='1073741824' LVM2_VG_FREE='536870912' LVM2_VG_EXTENT_SIZE='4194304' LVM2_DATA_PERCENT='' LVM2_METADATA_PERCENT='' LVM2_LV_KERNEL_MAJOR='253' LVM2_LV_KERNEL_MINOR='3' LVM2_LV_TAGS=''",
            "  LVM2_VG_NAME='vg-db' LVM2_LV_NAME='pool' LVM2_LV_UUID='u2' LVM2_SEGTYPE='thin-pool' LVM2_LV_ATTR='twi-aotz--' LVM2_POOL_LV='' LVM2_ORIGIN='' LVM2_LV_SIZE='2147483648' LVM2_VG_FREE='536870912' LVM2_VG_EXTENT_SIZE='4194304' LVM2_DATA_PERCENT='12.50' LVM2_METADATA_PERCENT='10.01' LVM2_LV_KERNEL_MAJOR='253' LVM2_LV_KERNEL_MINOR='5' LVM2_LV_TAGS=''",
            "  LVM2_VG_NAME='vg-db' LVM2_LV_NAME='ts' LVM2_LV_UUID='u3' LVM2_SEGTYPE='thin' LVM2_LV_ATTR='Vwi-aotz--' LVM2_POOL_LV='pool' LVM2_ORIGIN='' LVM2_LV_SIZE='1073741824' LVM2_VG_FREE='536870912' LVM2_VG_EXTENT_SIZE='4194304' LVM2_DATA_PERCENT='3.00' LVM2_METADATA_PERCENT='' LVM2_LV_KERNEL_MAJOR='253' LVM2_LV_KERNEL_MINOR='7' LVM2_LV_TAGS='pgsnap,x'",
            "  LVM2_VG_NAME='vg-db' LVM2_LV_NAME='off' LVM2_LV_UUID='u4' LVM2_SEGTYPE='linear' LVM2_LV_ATTR='-wi-------' LVM2_POOL_LV='' LVM2_ORIGIN='' LVM2_LV_SIZE='4194304' LVM2_VG_FREE='536870912' LVM2_VG_EXTENT_SIZE='4194304' LVM2_DATA_PERCENT='' LVM2_METADATA_PERCENT='' LVM2_LV_KERNEL_MAJOR='-1' LVM2_LV_KERNEL_MINOR='-1' LVM2_LV_TAGS=''",
            "  WARNING: something unrelated",
        ]
        let volumes = try LVMReport.parse(rows)
        #expect(volumes.map(\.kind) == [.classic, .thinPool, .thin, .classic])
        #expect(volumes[0].device == DeviceNumber(major: 253, minor: 3))
        #expect(volumes[0].sizeBytes == 1 << 30)
        #expect(volumes[1].dataPercent == 12.5)
        #expect(volumes[2].pool == "pool")
        #expect(volumes[2].tags == ["pgsnap", "x"])
        #expect(volumes[3].device == nil)
    }

    @Test func malformedLvsRowIsAnError() {
        #expect(throws: StorageError.self) { try LVMReport.parse(["LVM2_VG_NAME='vg LVM2_LV_NAME='x'"]) }
    }

    @Test func lvmNamesFollowLVMRules() throws {
        try LVMName.validate("data_pgsnap.20261124-1")
        for bad in ["", "-x", "a b", "a#b", "..", "x'y", String(repeating: "a", count: 128), "snapshot1", "lv_tmeta"] {
            #expect(throws: StorageError.self, "\(bad)") { try LVMName.validate(bad) }
        }
        try LVMName.validate("snapshotvg", isLogicalVolume: false)
        #expect(LVMName.deviceMapperName(volumeGroup: "vg-db", logicalVolume: "pg-data") == "vg--db-pg--data")
    }
}
