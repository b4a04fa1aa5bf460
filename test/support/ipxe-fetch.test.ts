import { describe, expect, it } from 'vitest';
import { ipxeFetchedOk, literal } from './ipxe-fetch.js';

describe('ipxeFetchedOk', () => {
  const url = `http://10\\.0\\.2\\.2:\\d+/boot/[A-Za-z0-9_-]{22}/vmlinuz`;
  const token = 'abcdefghijABCDEFGHIJ_-';

  it('matches a quick fetch and one that showed its progress', () => {
    expect(`http://10.0.2.2:8080/boot/${token}/vmlinuz... ok\n`).toMatch(ipxeFetchedOk(url));
    const slow = `http://10.0.2.2:8080/boot/${token}/vmlinuz...  12%\b\b\b\b    \b\b\b\b 87%\b\b\b\b    \b\b\b\b ok\n`;
    expect(slow).toMatch(ipxeFetchedOk(url));
  });

  it('does not match a failed fetch or another file', () => {
    expect(`http://10.0.2.2:8080/boot/${token}/vmlinuz...  12%\b\b\b\b    \b\b\b\b Connection reset (https://ipxe.org/0f0c6039)\n`).not.toMatch(ipxeFetchedOk(url));
    expect(`/kbisect/tftp-1/initrd.img... ok`).not.toMatch(ipxeFetchedOk(literal('/kbisect/tftp-1/vmlinuz')));
    expect(`/kbisect/tftp-1/vmlinuz... ok`).toMatch(ipxeFetchedOk(literal('/kbisect/tftp-1/vmlinuz')));
  });
});
