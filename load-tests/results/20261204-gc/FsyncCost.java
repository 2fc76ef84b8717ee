import java.nio.*; import java.nio.channels.*; import java.nio.file.*; import java.lang.management.*;
import com.sun.management.OperatingSystemMXBean;
public class FsyncCost {
  public static void main(String[] a) throws Exception {
    String mode = a[0]; int n = Integer.parseInt(a[1]); int size = Integer.parseInt(a[2]);
    Path p = Path.of(a[3]);
    Files.deleteIfExists(p);
    // preallocate 64 MiB zero-filled, like the WAL
    try (FileChannel c = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      ByteBuffer z = ByteBuffer.allocateDirect(1<<20); for (int i=0;i<64;i++){ z.clear(); c.write(z);} c.force(true);
    }
    java.util.Set<OpenOption> opts = new java.util.HashSet<>(); opts.add(StandardOpenOption.WRITE);
    if (mode.contains("dsync")) opts.add(StandardOpenOption.DSYNC);
    if (mode.contains("direct")) opts.add(com.sun.nio.file.ExtendedOpenOption.DIRECT);
    OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    try (FileChannel c = FileChannel.open(p, opts.toArray(new OpenOption[0]))) {
      int align = mode.contains("direct") ? 4096 : 1;
      int wsize = mode.contains("direct") ? ((size + 4095) / 4096) * 4096 : size;
      ByteBuffer b = ByteBuffer.allocateDirect(wsize + 8192).alignedSlice(4096);
      long[] lat = new long[n]; long pos = 0;
      long cpu0 = os.getProcessCpuTime(); long t0 = System.nanoTime();
      for (int i = 0; i < n; i++) {
        long s = System.nanoTime();
        b.clear(); b.limit(wsize);
        c.write(b, pos);
        if (mode.startsWith("fdatasync")) c.force(false);
        pos += mode.contains("direct") ? wsize : size;
        lat[i] = System.nanoTime() - s;
      }
      long cpu = os.getProcessCpuTime() - cpu0; long wall = System.nanoTime() - t0;
      java.util.Arrays.sort(lat);
      System.out.printf("%s size=%d n=%d: p50 %.3f p99 %.3f p99.9 %.3f ms, CPU %.1f us/op, wall %.1f us/op%n", mode, size, n,
        lat[n/2]/1e6, lat[n*99/100]/1e6, lat[n*999/1000]/1e6, cpu/1e3/n, wall/1e3/n);
    }
  }
}
