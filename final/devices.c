/*
 * runt (final): which device nodes the container may open or create.
 *
 * Capabilities decide who may mknod; the devices controller decides which
 * nodes may be read, written or created at all, whoever holds them. OCI's
 * linux.resources.devices is a list of rules, in order ("deny everything",
 * then "allow c 1:3 rwm"...). runt appends its own: the nodes it creates in
 * every /dev (config.c's dev_nodes), /dev/ptmx and the ptys, which a config
 * that denies everything would otherwise make unusable.
 *
 * cgroup v1 takes the rules as text in devices.allow and devices.deny.
 * cgroup v2 has no such files: a BPF program of type CGROUP_DEVICE, attached
 * to the cgroup, answers each access (bpf(2)).
 */
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ANY (-1LL)

/* The config's rules, then runt's own allows: at most RUNT_MAX_DEVICES in all. */
static size_t all_rules(const struct resources *res, struct device_rule *out)
{
    static const struct device_rule pty_rules[] = {
        {true, 'c', 5,   2,   DEV_READ | DEV_WRITE | DEV_MKNOD}, /* /dev/ptmx */
        {true, 'c', 136, ANY, DEV_READ | DEV_WRITE | DEV_MKNOD}, /* /dev/pts/N */
    };
    size_t n = 0;

    for (size_t i = 0; i < res->n_devices; i++)
        out[n++] = res->devices[i];
    for (size_t i = 0; i < N_DEV_NODES; i++)
        out[n++] = (struct device_rule){true, 'c', dev_nodes[i].major, dev_nodes[i].minor,
                                        DEV_READ | DEV_WRITE | DEV_MKNOD};
    for (size_t i = 0; i < ARRAY_SIZE(pty_rules); i++)
        out[n++] = pty_rules[i];
    return n;
}

/* "c 1:3 rwm", "a *:* rwm": the syntax of devices.allow and devices.deny. */
static void rule_text(const struct device_rule *r, char *buf, size_t size)
{
    char major[16] = "*", minor[16] = "*";

    if (r->major != ANY)
        snprintf(major, sizeof(major), "%lld", r->major);
    if (r->minor != ANY)
        snprintf(minor, sizeof(minor), "%lld", r->minor);
    snprintf(buf, size, "%c %s:%s %s%s%s", r->type, major, minor, r->access & DEV_READ ? "r" : "",
             r->access & DEV_WRITE ? "w" : "", r->access & DEV_MKNOD ? "m" : "");
}

static int write_rule(const char *dir, const struct device_rule *r, struct runt_err *err)
{
    char text[64];

    rule_text(r, text, sizeof(text));
    return write_cgroup_file(dir, r->allow ? "devices.allow" : "devices.deny", text, err);
}

/* v1: the rules one by one, in order; the kernel keeps the list. */
int devices_apply_v1(const char *dir, const struct resources *res, struct runt_err *err)
{
    struct device_rule rules[RUNT_MAX_DEVICES + N_DEV_NODES + 2] = {0};
    size_t n = all_rules(res, rules);

    for (size_t i = 0; i < n; i++)
        if (write_rule(dir, &rules[i], err) < 0)
            return -1;
    return 0;
}

/* ---- v2: the same rules as a BPF program ---- */

#define MAX_INSNS 1024

struct program {
    struct bpf_insn insns[MAX_INSNS];
    size_t n;
};

static void emit(struct program *p, struct bpf_insn insn)
{
    if (p->n < MAX_INSNS)
        p->insns[p->n++] = insn;
}

/* One instruction (linux/bpf.h has no macros for userspace); registers are constants. */
#define INSN(c, dst, src, o, i)                                                                    \
    ((struct bpf_insn){.code = (c), .dst_reg = (dst), .src_reg = (src), .off = (o), .imm = (i)})

/* Registers, once loaded: r2 device type, r3 access asked for, r4 major, r5 minor. */
enum { R0, R1, R2, R3, R4, R5 };

/* Jumps to the next rule: their offsets are filled in once the rule's end is known. */
struct pending {
    size_t at[8];
    size_t n;
};

static void jump_to_next(struct program *p, struct pending *j, struct bpf_insn jump)
{
    j->at[j->n++] = p->n;
    emit(p, jump);
}

/*
 * One rule: "if it matches, answer allow (or deny)". An allow rule matches
 * an access it covers entirely; a deny rule one it touches at all.
 */
static void emit_rule(struct program *p, const struct device_rule *r)
{
    struct pending next = {.n = 0};
    unsigned int missing = ~r->access & (DEV_READ | DEV_WRITE | DEV_MKNOD);

    if (r->type != 'a')
        jump_to_next(p, &next,
                     INSN(BPF_JMP | BPF_JNE | BPF_K, R2, 0, 0,
                          r->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK));
    if (r->allow && missing != 0) {
        jump_to_next(p, &next, INSN(BPF_JMP | BPF_JSET | BPF_K, R3, 0, 0, (int32_t)missing));
    } else if (!r->allow) {
        emit(p, INSN(BPF_ALU64 | BPF_MOV | BPF_X, R0, R3, 0, 0));
        emit(p, INSN(BPF_ALU64 | BPF_AND | BPF_K, R0, 0, 0, (int32_t)r->access));
        jump_to_next(p, &next, INSN(BPF_JMP | BPF_JEQ | BPF_K, R0, 0, 0, 0));
    }
    if (r->major != ANY)
        jump_to_next(p, &next, INSN(BPF_JMP | BPF_JNE | BPF_K, R4, 0, 0, (int32_t)r->major));
    if (r->minor != ANY)
        jump_to_next(p, &next, INSN(BPF_JMP | BPF_JNE | BPF_K, R5, 0, 0, (int32_t)r->minor));
    emit(p, INSN(BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, r->allow ? 1 : 0));
    emit(p, INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
    for (size_t i = 0; i < next.n; i++)
        p->insns[next.at[i]].off = (int16_t)(p->n - next.at[i] - 1);
}

/*
 * v1's semantics, which the rules are written for: a rule for every device
 * ("a") sets the default and forgets the rules before it; among the others
 * the last one that matches decides. So: the rules after the last "a", last
 * first, then the default.
 */
static void build_program(const struct device_rule *rules, size_t n, struct program *p)
{
    size_t first = 0;
    bool default_allow = true; /* as the root cgroup: everything */

    for (size_t i = 0; i < n; i++) {
        if (rules[i].type == 'a' && rules[i].major == ANY && rules[i].minor == ANY &&
            rules[i].access == (DEV_READ | DEV_WRITE | DEV_MKNOD)) {
            default_allow = rules[i].allow;
            first = i + 1;
        }
    }
    /* struct bpf_cgroup_dev_ctx: access_type (access << 16 | type), major, minor. */
    emit(p, INSN(BPF_LDX | BPF_MEM | BPF_W, R2, R1, 0, 0));
    emit(p, INSN(BPF_ALU64 | BPF_MOV | BPF_X, R3, R2, 0, 0));
    emit(p, INSN(BPF_ALU64 | BPF_RSH | BPF_K, R3, 0, 0, 16));
    emit(p, INSN(BPF_ALU64 | BPF_AND | BPF_K, R2, 0, 0, 0xffff));
    emit(p, INSN(BPF_LDX | BPF_MEM | BPF_W, R4, R1, 4, 0));
    emit(p, INSN(BPF_LDX | BPF_MEM | BPF_W, R5, R1, 8, 0));
    for (size_t i = n; i > first; i--)
        emit_rule(p, &rules[i - 1]);
    emit(p, INSN(BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, default_allow ? 1 : 0));
    emit(p, INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
}

/* Load the program and attach it to the cgroup: it stays as long as the cgroup does. */
int devices_apply_v2(const char *dir, const struct resources *res, struct runt_err *err)
{
    struct device_rule rules[RUNT_MAX_DEVICES + N_DEV_NODES + 2] = {0};
    static struct program p;
    char log[4096] = "";
    union bpf_attr attr;
    int prog, cgroup, rc = 0;
    size_t n = all_rules(res, rules);

    p.n = 0;
    build_program(rules, n, &p);
    say("attach a BPF device filter of %zu instructions to %s", p.n, dir);
    memset(&attr, 0, sizeof(attr));
    attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    attr.insns = (uint64_t)(uintptr_t)p.insns;
    attr.insn_cnt = (uint32_t)p.n;
    attr.license = (uint64_t)(uintptr_t) "GPL";
    attr.log_buf = (uint64_t)(uintptr_t)log;
    attr.log_size = sizeof(log);
    attr.log_level = 1;
    prog = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
    if (prog < 0)
        return runt_fail(err, errno, "load the device filter (%.200s)", log);
    cgroup = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cgroup < 0) {
        runt_fail(err, errno, "open %s", dir);
        close(prog);
        return -1;
    }
    memset(&attr, 0, sizeof(attr));
    attr.target_fd = (uint32_t)cgroup;
    attr.attach_bpf_fd = (uint32_t)prog;
    attr.attach_type = BPF_CGROUP_DEVICE;
    attr.attach_flags = BPF_F_ALLOW_MULTI;
    if (syscall(SYS_bpf, BPF_PROG_ATTACH, &attr, sizeof(attr)) < 0)
        rc = runt_fail(err, errno, "attach the device filter to %s", dir);
    close(cgroup);
    close(prog);
    return rc;
}
